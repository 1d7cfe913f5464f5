package akita.node.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Gauges that share one name and whose label sets come and go (a disk unmounted, a network interface gone) or
 * vanish together (a node that stopped leading exports no scheduler figures). A label set left out of
 * {@link #set} is removed from the registry, so a scrape never shows a value that nothing measures any more.
 * Values are set on one thread (the metrics verticle's) and read by scrapes on any thread.
 */
final class GaugeFamily {

  /** One label set's latest value. */
  private static final class Cell {
    volatile double value;
  }

  private final MultiGauge gauge;
  private final Map<Tags, Cell> cells = new HashMap<>();

  /**
   * @param registry where the gauges live
   * @param name the meter name (dotted; the Prometheus name adds the base unit as a suffix)
   * @param description the HELP text
   * @param baseUnit e.g. {@code bytes}, or {@code null}
   */
  GaugeFamily(MeterRegistry registry, String name, String description, String baseUnit) {
    this.gauge = MultiGauge.builder(name).description(description).baseUnit(baseUnit).register(registry);
  }

  /** Sets a family without labels to one value. */
  void set(double value) {
    set(Map.of(Tags.empty(), value));
  }

  /**
   * Sets every label set's value; label sets not in {@code values} disappear.
   *
   * @param values the value of each label set
   */
  void set(Map<Tags, Double> values) {
    boolean sameSets = cells.keySet().equals(values.keySet());
    values.forEach((tags, v) -> cells.computeIfAbsent(tags, t -> new Cell()).value = v);
    if (!sameSets) {
      cells.keySet().retainAll(values.keySet());
      List<MultiGauge.Row<?>> rows = new ArrayList<>(cells.size());
      cells.forEach((tags, cell) -> rows.add(MultiGauge.Row.of(tags, cell, c -> c.value)));
      // Without overwrite, a label set already registered keeps its meter (and its cell); only new ones are
      // added and missing ones removed.
      gauge.register(rows, false);
    }
  }

  /** Removes every gauge of the family. */
  void clear() {
    set(Map.of());
  }
}
