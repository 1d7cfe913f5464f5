package akita.bench;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The median and the range of one figure over the repetitions of a run. */
record Spread(double median, double min, double max) {

  /**
   * @param values one value per repetition; not empty
   * @return their median (the mean of the middle two for an even count), minimum and maximum
   */
  static Spread of(List<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    List<Double> v = new ArrayList<>(values);
    Collections.sort(v);
    int n = v.size();
    double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    return new Spread(median, v.get(0), v.get(n - 1));
  }

  /** @return {@code {"median", "min", "max"}} */
  JsonObject json() {
    return new JsonObject().put("median", round(median)).put("min", round(min)).put("max", round(max));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
