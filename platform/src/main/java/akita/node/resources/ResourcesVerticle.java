package akita.node.resources;

import akita.node.bus.BusError;
import akita.node.config.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples this machine's resources with OSHI every {@code --resources-interval-ms} on a worker thread of its
 * own (never the event loop: OSHI reads /proc and calls native code), keeps the last
 * {@code --resources-history} samples, publishes each one locally on {@link ResourcesAddresses#SAMPLE} (the
 * discovery verticle announces a summary of it, metrics export it) and answers
 * {@link ResourcesAddresses#history} for the REST API of any node. Contract: docs/resources.md.
 *
 * <p>A machine OSHI cannot read does not stop the node: sampling is switched off with a warning and the history
 * stays empty.
 */
public final class ResourcesVerticle extends VerticleBase {

  /** Where samples come from; {@link ResourceSampler} in production. Called on a worker thread only. */
  interface Source {
    /** @return one sample; blocks */
    JsonObject sample();
  }

  /** The name of the single worker thread's pool; its threads are named after it. */
  static final String WORKER_POOL = "akita-resources";

  private static final Logger LOG = LoggerFactory.getLogger(ResourcesVerticle.class);

  private final String nodeId;
  private final NodeConfig.Resources cfg;
  private final Supplier<Source> sources;
  private SampleHistory history;
  private WorkerExecutor worker;
  private Source source;
  private boolean sampling;
  private boolean failing;

  /**
   * @param nodeId this node's id, which names its history address
   * @param cfg the sampling interval and history size
   */
  public ResourcesVerticle(String nodeId, NodeConfig.Resources cfg) {
    this(nodeId, cfg, ResourceSampler::new);
  }

  ResourcesVerticle(String nodeId, NodeConfig.Resources cfg, Supplier<Source> sources) {
    this.nodeId = nodeId;
    this.cfg = cfg;
    this.sources = sources;
  }

  @Override
  public Future<?> start() {
    history = new SampleHistory(cfg.historySize());
    worker = vertx.createSharedWorkerExecutor(WORKER_POOL, 1);
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(ResourcesAddresses.history(nodeId),
        this::onHistory);
    // OSHI's set-up takes most of a second: do not hold up the node's start for it.
    worker.executeBlocking(sources::get)
        .onSuccess(s -> {
          source = s;
          vertx.setPeriodic(cfg.intervalMs(), id -> sample());
        })
        .onFailure(err -> LOG.warn("resource monitoring is off: this machine's resources cannot be read ({})",
            String.valueOf(err), err));
    return consumer.completion()
        .onSuccess(v -> LOG.debug("resources ready [every {} ms, {} samples kept, address {}]", cfg.intervalMs(),
            cfg.historySize(), ResourcesAddresses.history(nodeId)));
  }

  @Override
  public Future<?> stop() {
    return worker == null ? Future.succeededFuture() : worker.close();
  }

  private void sample() {
    if (sampling) {
      return; // the previous sample is still being taken: skip this tick rather than queue behind it
    }
    sampling = true;
    worker.executeBlocking(source::sample)
        .onSuccess(s -> {
          if (failing) {
            LOG.info("resource sampling works again");
            failing = false;
          }
          history.add(s);
          vertx.eventBus().publish(ResourcesAddresses.SAMPLE, s, new DeliveryOptions().setLocalOnly(true));
        })
        .onFailure(err -> {
          if (!failing) {
            LOG.warn("a resource sample failed (further failures are logged at debug level): {}", err.toString(), err);
            failing = true;
          } else {
            LOG.debug("a resource sample failed: {}", err.toString());
          }
        })
        .onComplete(ar -> sampling = false);
  }

  private void onHistory(Message<JsonObject> msg) {
    Object raw = msg.body() == null ? null : msg.body().getValue("limit");
    if (raw != null && !(raw instanceof Integer || raw instanceof Long) || raw != null && ((Number) raw).longValue() < 0) {
      new BusError(400, "INVALID_PARAMETER", "'limit' must be a whole number of samples, 0 or more").failOn(msg);
      return;
    }
    int limit = raw == null ? history.capacity() : (int) Math.min(history.capacity(), ((Number) raw).longValue());
    msg.reply(new JsonObject().put("nodeId", nodeId).put("intervalMs", cfg.intervalMs())
        .put("historySize", history.capacity()).put("latest", history.latest()).put("history", history.last(limit)));
  }
}
