package akita.bench;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/** Latency histograms in microseconds (HdrHistogram, 3 significant digits) and their JSON in milliseconds. */
final class Latency {

  private Latency() {
  }

  /** @return an empty histogram of microseconds that grows as needed */
  static Histogram histogram() {
    Histogram h = new Histogram(3);
    h.setAutoResize(true);
    return h;
  }

  /**
   * Records a latency.
   *
   * @param h the histogram
   * @param nanos the latency in nanoseconds; negative values (clock quantisation) count as 0
   */
  static void record(Histogram h, long nanos) {
    h.recordValue(Math.max(0, nanos / 1_000));
  }

  /**
   * @return {@code {"p50", "p90", "p99", "max"}} (plus {@code "p999"}, {@code "mean"}) in ms, and {@code "count"};
   *     zeros when empty
   */
  static JsonObject json(Histogram h) {
    JsonObject o = new JsonObject().put("count", h.getTotalCount());
    if (h.getTotalCount() == 0) {
      return o.put("p50", 0.0).put("p90", 0.0).put("p99", 0.0).put("p999", 0.0).put("max", 0.0).put("mean", 0.0);
    }
    return o.put("p50", ms(h.getValueAtPercentile(50))).put("p90", ms(h.getValueAtPercentile(90)))
        .put("p99", ms(h.getValueAtPercentile(99))).put("p999", ms(h.getValueAtPercentile(99.9)))
        .put("max", ms(h.getMaxValue())).put("mean", Math.round(h.getMean()) / 1_000.0);
  }

  private static double ms(long micros) {
    return micros / 1_000.0;
  }
}
