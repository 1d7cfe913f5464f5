package akita.node.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.hawkular.agent.prometheus.text.TextPrometheusMetricDataParser;
import org.hawkular.agent.prometheus.types.Counter;
import org.hawkular.agent.prometheus.types.Gauge;
import org.hawkular.agent.prometheus.types.Histogram;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;
import org.hawkular.agent.prometheus.types.Summary;

/**
 * A scrape of {@code /metrics}, read with a Prometheus text-format parser from a library, not one written here.
 *
 * <p>Which parser: the Prometheus project's own parsers are in Go ({@code expfmt}) and Python
 * ({@code prometheus_client.parser}); its Java client (1.x, which Micrometer uses to write the text) only writes
 * the format. The Java one used here is Hawkular's {@code prometheus-scraper}
 * ({@code org.hawkular.agent:prometheus-scraper}), a port of the Python client's parser that groups samples into
 * typed families (counters, gauges, histograms with their buckets, summaries). It is old and lenient: a line it
 * cannot read is skipped with a debug message. So {@link #parse} also counts the sample lines of the text and
 * fails unless the parser accounted for every one of them, which makes it as strict as the format needs here.
 */
public final class PrometheusText {

  private final Map<String, MetricFamily> families;
  private final Set<String> seriesNames;

  private PrometheusText(Map<String, MetricFamily> families, Set<String> seriesNames) {
    this.families = families;
    this.seriesNames = seriesNames;
  }

  /**
   * Parses a scrape.
   *
   * @param text the Prometheus text format 0.0.4
   * @return the families in it
   * @throws IOException if the parser refuses the text
   * @throws AssertionError if the parser skipped any sample line
   */
  public static PrometheusText parse(String text) throws IOException {
    Map<String, MetricFamily> families = new LinkedHashMap<>();
    TextPrometheusMetricDataParser parser =
        new TextPrometheusMetricDataParser(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    int parsedSamples = 0;
    for (MetricFamily f = parser.parse(); f != null; f = parser.parse()) {
      if (families.put(f.getName(), f) != null) {
        throw new AssertionError("metric family " + f.getName() + " appears twice in the scrape");
      }
      for (Metric m : f.getMetrics()) {
        parsedSamples += switch (f.getType()) {
          case COUNTER, GAUGE -> 1;
          case HISTOGRAM -> ((Histogram) m).getBuckets().size() + 2;
          case SUMMARY -> ((Summary) m).getQuantiles().size() + 2;
        };
      }
    }
    Set<String> names = new TreeSet<>();
    long lines = Arrays.stream(text.split("\n")).map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .peek(l -> names.add(l.split("[{ ]", 2)[0])).count();
    if (lines != parsedSamples) {
      throw new AssertionError("the parser accounted for " + parsedSamples + " of the scrape's " + lines
          + " sample lines: some line is not valid text format");
    }
    return new PrometheusText(families, names);
  }

  /** @return the families by name */
  public Map<String, MetricFamily> families() {
    return families;
  }

  /** @return every series name in the text, with histogram suffixes ({@code _bucket}, {@code _count}, {@code _sum}) */
  public Set<String> seriesNames() {
    return seriesNames;
  }

  /**
   * @param family a family name
   * @param labels label name, value, name, value ...: the series must have these (and may have more)
   * @return the counter's or gauge's value, 0 if there is no such series (a counter not yet incremented)
   */
  public double value(String family, String... labels) {
    Metric m = find(family, labels);
    if (m == null) {
      return 0;
    }
    if (m instanceof Counter c) {
      return c.getValue();
    }
    if (m instanceof Gauge g) {
      return g.getValue();
    }
    throw new AssertionError(family + " is a " + families.get(family).getType() + ", not a counter or gauge");
  }

  /**
   * @param family a histogram family name
   * @param labels label name, value, ...
   * @return its observation count, 0 if there is no such series
   */
  public long histogramCount(String family, String... labels) {
    Metric m = find(family, labels);
    return m == null ? 0 : ((Histogram) m).getSampleCount();
  }

  /**
   * @param family a family name
   * @param labels label name, value, ...
   * @return whether a series with these labels exists
   */
  public boolean has(String family, String... labels) {
    return find(family, labels) != null;
  }

  private Metric find(String family, String... labels) {
    MetricFamily f = families.get(family);
    if (f == null) {
      return null;
    }
    for (Metric m : f.getMetrics()) {
      boolean match = true;
      for (int i = 0; i < labels.length; i += 2) {
        match &= labels[i + 1].equals(m.getLabels().get(labels[i]));
      }
      if (match) {
        return m;
      }
    }
    return null;
  }
}
