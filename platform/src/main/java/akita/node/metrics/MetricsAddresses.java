package akita.node.metrics;

/** Event-bus addresses of a node's metrics. Contract: docs/event-bus.md and docs/observability.md. */
public final class MetricsAddresses {

  /**
   * Local request/reply. Body: {@code {"format"?: "prometheus" | "openmetrics"}} (default {@code prometheus},
   * the text format 0.0.4). Reply: {@code {"contentType", "text"}}, the node's meters as GET /metrics serves them.
   */
  public static final String SCRAPE = "akita.local.metrics.scrape";

  private MetricsAddresses() {
  }
}
