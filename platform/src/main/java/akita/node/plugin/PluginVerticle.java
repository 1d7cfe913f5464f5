package akita.node.plugin;

import akita.node.bus.BusError;
import akita.node.ledger.LedgerAddresses;
import akita.node.ledger.LedgerEventTypes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the node's {@link PluginService}: loads the plugins at start, rescans the plugins folder
 * periodically (hot deploy), follows the cluster's plugin catalog (cluster-wide deploy), answers what this
 * node runs, and tells the node when that changes.
 */
public final class PluginVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PluginVerticle.class);

  private final PluginService plugins;
  private final PluginCatalog catalog;
  private final Path clusterDir;
  private final long scanIntervalMs;
  private final long drainMs;
  private AutoCloseable catalogListener;

  /**
   * @param plugins the service
   * @param catalog the cluster's plugin catalog
   * @param clusterDir where this node keeps cluster-deployed jars
   * @param scanIntervalMs how often the plugins folder is rescanned; 0 disables hot deploy
   * @param drainMs how long unloading waits for running attempts at shutdown
   */
  public PluginVerticle(PluginService plugins, PluginCatalog catalog, Path clusterDir, long scanIntervalMs,
      long drainMs) {
    this.plugins = plugins;
    this.catalog = catalog;
    this.clusterDir = clusterDir;
    this.scanIntervalMs = scanIntervalMs;
    this.drainMs = drainMs;
  }

  @Override
  public Future<?> start() {
    var context = vertx.getOrCreateContext();
    var bus = vertx.eventBus();
    plugins.onChange(() -> context.runOnContext(v -> bus.publish(PluginAddresses.CHANGED, summary())));
    bus.<JsonObject>localConsumer(PluginAddresses.LOCAL, m -> m.reply(summary()));
    bus.<Buffer>localConsumer(PluginAddresses.DEPLOY, this::onDeploy);
    bus.<JsonObject>localConsumer(PluginAddresses.REMOVE, this::onRemove);
    bus.<JsonObject>localConsumer(PluginAddresses.CATALOG, m -> vertx.executeBlocking(() -> catalog.entries(), false)
        .onSuccess(entries -> m.reply(new JsonObject().put("catalog", new JsonArray(
            entries.values().stream().sorted(java.util.Comparator.comparing(e -> e.getString("id"))).toList()))))
        .onFailure(err -> new BusError(503, "UNAVAILABLE", "cannot read the plugin catalog: " + err.getMessage())
            .failOn(m)));
    if (scanIntervalMs > 0) {
      scheduleScan();
    }
    return plugins.start()
        .compose(v -> plugins.reseed(catalog, clusterDir))
        .compose(v -> vertx.executeBlocking(() -> catalog.listen(id -> context.runOnContext(x -> sync())), false))
        .compose(listener -> {
          catalogListener = listener;
          return plugins.sync(catalog, clusterDir);
        });
  }

  private void sync() {
    plugins.sync(catalog, clusterDir).onFailure(err -> LOG.error("following the plugin catalog failed", err));
  }

  private void scheduleScan() {
    vertx.setTimer(scanIntervalMs, id -> plugins.scan().onComplete(ar -> {
      if (ar.failed()) {
        LOG.error("scanning the plugins folder failed", ar.cause());
      }
      scheduleScan();
    }));
  }

  @Override
  public Future<?> stop() throws Exception {
    if (catalogListener != null) {
      catalogListener.close();
    }
    return plugins.stop(drainMs);
  }

  /** Records a cluster-wide deploy or removal in the ledger; subject: the plugin id. */
  private void record(String type, JsonObject entry) {
    vertx.eventBus().send(LedgerAddresses.APPEND, new JsonObject().put("type", type)
        .put("subject", entry.getString("id")).put("data", new JsonObject().put("version", entry.getString("version"))
            .put("sha256", entry.getString("sha256")).put("size", entry.getValue("size"))
            .put("by", entry.getString("deployedBy"))));
  }

  private void onDeploy(Message<Buffer> msg) {
    String sha = msg.headers().get("sha256");
    String by = msg.headers().get("deployedBy");
    plugins.deploy(msg.body().getBytes(), sha, catalog, clusterDir, by == null ? "unknown" : by)
        .onSuccess(entry -> {
          record(LedgerEventTypes.PLUGIN_DEPLOYED, entry);
          msg.reply(entry);
        })
        .onFailure(err -> fail(msg, err));
  }

  private void onRemove(Message<JsonObject> msg) {
    String id = msg.body() == null ? null : msg.body().getString("id");
    if (id == null) {
      new BusError(400, "BAD_REQUEST", "a remove request needs 'id'").failOn(msg);
      return;
    }
    vertx.executeBlocking(() -> catalog.remove(id), false)
        .onSuccess(entry -> {
          if (entry != null) {
            LOG.info("plugin {} {} removed from the cluster", id, entry.getString("version"));
            record(LedgerEventTypes.PLUGIN_REMOVED, entry);
            msg.reply(entry);
            return;
          }
          boolean local = plugins.plugins().stream().anyMatch(p -> p.id().equals(id) && "LOCAL".equals(p.source()));
          if (local) {
            new BusError(409, PluginException.PLUGIN_CONFLICT, "plugin " + id + " was installed from this node's "
                + "plugins folder, not deployed cluster-wide; remove its jar from that folder").failOn(msg);
          } else {
            new BusError(404, PluginException.PLUGIN_NOT_FOUND, "no plugin '" + id + "' is deployed cluster-wide")
                .failOn(msg);
          }
        })
        .onFailure(err -> fail(msg, err));
  }

  private static void fail(Message<?> msg, Throwable err) {
    if (err instanceof PluginException pe) {
      new BusError(pe.status(), pe.code(), pe.getMessage()).failOn(msg);
    } else {
      LOG.error("plugin operation failed", err);
      new BusError(500, "INTERNAL", String.valueOf(err.getMessage())).failOn(msg);
    }
  }

  private JsonObject summary() {
    JsonArray list = new JsonArray();
    plugins.plugins().forEach(p -> list.add(p.toJson()));
    return new JsonObject().put("plugins", list).put("taskTypes", new JsonArray(plugins.taskTypes()))
        .put("capabilities", new JsonArray(java.util.List.copyOf(plugins.providedCapabilities())));
  }
}
