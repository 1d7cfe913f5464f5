package akita.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * The raw clustered event bus between the benchmark client and a node, measured in the same run as the
 * workload: pipelined request/replies to the node's ping address (which answers {@code {}} at once), with the
 * same number in flight as the workload. The workload's tasks/s divided by this rate is the figure that still
 * means something on a busy machine.
 */
final class EventBusBaseline {

  private final Vertx vertx;
  private final String address;
  private final int window;
  private final long durationNanos;
  private final Histogram latency = Latency.histogram();
  private final Promise<JsonObject> result = Promise.promise();
  private final DeliveryOptions options = new DeliveryOptions().setSendTimeout(10_000);
  private long start;
  private long last;
  private int inFlight;
  private long replies;
  private long failures;
  private boolean stopped;

  private EventBusBaseline(Vertx vertx, String address, int window, long durationMs) {
    this.vertx = vertx;
    this.address = address;
    this.window = window;
    this.durationNanos = durationMs * 1_000_000;
  }

  /**
   * Measures.
   *
   * @param vertx the client's clustered Vert.x
   * @param context the context to send from
   * @param address the node's ping address
   * @param window requests in flight
   * @param durationMs how long to keep sending
   * @return {@code {"requestsPerSecond", "requests", "failures", "latencyMs"}}
   */
  static Future<JsonObject> measure(Vertx vertx, Context context, String address, int window, long durationMs) {
    EventBusBaseline b = new EventBusBaseline(vertx, address, window, durationMs);
    context.runOnContext(v -> b.begin());
    return b.result.future();
  }

  private void begin() {
    start = System.nanoTime();
    last = start;
    pump();
  }

  private void pump() {
    while (!stopped && inFlight < window) {
      long t0 = System.nanoTime();
      if (t0 - start >= durationNanos) {
        stopped = true;
        break;
      }
      inFlight++;
      vertx.eventBus().request(address, new JsonObject(), options).onComplete(ar -> {
        inFlight--;
        last = System.nanoTime();
        if (ar.succeeded()) {
          replies++;
          Latency.record(latency, last - t0);
        } else {
          failures++;
        }
        pump();
      });
    }
    if (stopped && inFlight == 0) {
      double seconds = Math.max(1, last - start) / 1e9;
      result.tryComplete(new JsonObject().put("requestsPerSecond", TaskRun.round(replies / seconds))
          .put("requests", replies).put("failures", failures).put("window", window)
          .put("latencyMs", Latency.json(latency)));
    }
  }
}
