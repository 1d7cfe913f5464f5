package akita.node.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.spi.VertxMetricsFactory;

/**
 * One node's metrics registry, made before the node's Vert.x so that Vert.x's own meters (event bus, HTTP server,
 * pools; see {@link VertxMeters}), the JVM's and the node's {@code akita_*} meters all land in it;
 * {@code GET /metrics} prints it in the Prometheus text format. Each node has its own registry, so several nodes in
 * one JVM (the tests) never mix their figures.
 */
public final class NodeMetrics {

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;

  private NodeMetrics(PrometheusMeterRegistry registry, JvmGcMetrics gc) {
    this.registry = registry;
    this.gc = gc;
  }

  /** @return a new registry for one node, with the JVM and process meters bound */
  public static NodeMetrics create() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return new NodeMetrics(registry, gc);
  }

  /** @return the registry: the node's meters, Vert.x's and the JVM's */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** @return the factory to pass to {@code Vertx.builder().withMetrics(...)} */
  public VertxMetricsFactory factory() {
    return new VertxMeters(registry);
  }

  /** @return the metrics options to set on the node's {@code VertxOptions} (metrics on) */
  public MetricsOptions options() {
    return new MetricsOptions().setEnabled(true);
  }

  /** Releases the registry; call after the node's Vert.x has closed. */
  public void close() {
    gc.close();
    registry.close();
  }
}
