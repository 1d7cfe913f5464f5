package akita.node.plugin;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Runs the node's {@link PluginService}: loads the plugins at start, rescans the plugins folder
 * periodically (hot deploy), answers what this node runs, and tells the node when that changes.
 */
public final class PluginVerticle extends VerticleBase {

  private final PluginService plugins;
  private final long scanIntervalMs;
  private final long drainMs;

  /**
   * @param plugins the service
   * @param scanIntervalMs how often the plugins folder is rescanned; 0 disables hot deploy
   * @param drainMs how long unloading waits for running attempts at shutdown
   */
  public PluginVerticle(PluginService plugins, long scanIntervalMs, long drainMs) {
    this.plugins = plugins;
    this.scanIntervalMs = scanIntervalMs;
    this.drainMs = drainMs;
  }

  @Override
  public Future<?> start() {
    var context = vertx.getOrCreateContext();
    plugins.onChange(() -> context.runOnContext(v -> vertx.eventBus().publish(PluginAddresses.CHANGED, summary())));
    vertx.eventBus().<JsonObject>localConsumer(PluginAddresses.LOCAL, m -> m.reply(summary()));
    if (scanIntervalMs > 0) {
      scheduleScan();
    }
    return plugins.start();
  }

  private void scheduleScan() {
    vertx.setTimer(scanIntervalMs, id -> plugins.scan().onComplete(ar -> scheduleScan()));
  }

  @Override
  public Future<?> stop() {
    return plugins.stop(drainMs);
  }

  private JsonObject summary() {
    JsonArray list = new JsonArray();
    plugins.plugins().forEach(p -> list.add(p.toJson()));
    return new JsonObject().put("plugins", list).put("taskTypes", new JsonArray(plugins.taskTypes()))
        .put("capabilities", new JsonArray(java.util.List.copyOf(plugins.providedCapabilities())));
  }
}
