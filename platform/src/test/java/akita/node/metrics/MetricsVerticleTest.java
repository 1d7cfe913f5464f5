package akita.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.NodeContext;
import akita.node.config.Role;
import akita.node.ledger.LedgerAddresses;
import akita.node.tasks.TaskAddresses;
import akita.node.testing.PrometheusText;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The metrics verticle on its own, fed with the messages the scheduler, resources service and ledger publish:
 * what each becomes in the scrape, and that figures nobody measures any more leave it.
 */
class MetricsVerticleTest {

  private Vertx vertx;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    NodeContext node = new NodeContext("00000000-0000-0000-0000-000000000001", "n1", "c", "test",
        Set.of(Role.LEADER, Role.WORKER), Set.of(), System.currentTimeMillis(), 1, Path.of("data"));
    vertx.deployVerticle(new MetricsVerticle(node, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Verifies the scheduler's figures appear with its stats and vanish once they stop (this node no longer leads). */
  @Test
  void schedulerFiguresVanishWhenStale() throws Exception {
    vertx.eventBus().publish(TaskAddresses.STATS, new JsonObject().put("term", 7)
        .put("byState", new JsonObject().put("PENDING", 3).put("RUNNING", 2)).put("queued", 3).put("assigned", 2)
        .put("workers", 4).put("known", 5));
    PrometheusText live = awaitScrape(s -> s.value("akita_scheduler_active") == 1);
    assertEquals(3, live.value("akita_scheduler_tasks", "state", "PENDING"));
    assertEquals(0, live.value("akita_scheduler_tasks", "state", "FAILED"));
    assertTrue(live.has("akita_scheduler_tasks", "state", "FAILED"), "every state has a series");
    assertEquals(3, live.value("akita_scheduler_queue_depth"));
    assertEquals(7, live.value("akita_scheduler_term"));

    long since = System.nanoTime();
    PrometheusText stale = awaitScrape(s -> s.value("akita_scheduler_active") == 0
        && !s.families().containsKey("akita_scheduler_tasks"));
    assertFalse(stale.families().containsKey("akita_scheduler_queue_depth"));
    assertTrue(System.nanoTime() - since >= TimeUnit.MILLISECONDS.toNanos(MetricsVerticle.SCHEDULER_STALE_MS - 1_000),
        "dropped too early");
  }

  /** Verifies transitions become counters and histograms, error codes taken from the error or the reason. */
  @Test
  void transitionsBecomeCountersAndHistograms() throws Exception {
    long t0 = System.currentTimeMillis();
    JsonArray batch = new JsonArray()
        .add(transition("a", null, "PENDING", 0, t0, t0))
        .add(transition("a", "PENDING", "ASSIGNED", 1, t0, t0 + 250))
        .add(transition("a", "RUNNING", "RETRYING", 1, t0, t0 + 400)
            .put("reason", "TIMEOUT: attempt 1 ran longer than 300 ms; retry in 120 ms"))
        .add(transition("a", "PENDING", "ASSIGNED", 2, t0, t0 + 600))
        .add(transition("a", "RUNNING", "FAILED", 2, t0, t0 + 2_000)
            .put("error", new JsonObject().put("code", "not a code!").put("message", "x")))
        .add(transition("b", null, "PENDING", 0, t0, t0))
        .add(transition("b", "RUNNING", "COMPLETED", 1, t0, t0 + 50));
    vertx.eventBus().publish(TaskAddresses.TRANSITIONS, new JsonObject().put("transitions", batch));
    PrometheusText s = awaitScrape(x -> x.value("akita_tasks_completed_total", "type", "t") == 1);
    assertEquals(2, s.value("akita_tasks_submitted_total", "type", "t"));
    assertEquals(1, s.value("akita_tasks_retries_total", "type", "t", "code", "TIMEOUT"));
    assertEquals(1, s.value("akita_tasks_timeouts_total", "type", "t", "code", "TIMEOUT"));
    assertEquals(1, s.value("akita_tasks_failed_total", "type", "t", "code", "OTHER"));
    // Only the first attempt's assignment measures scheduling latency.
    assertEquals(1, s.histogramCount("akita_task_scheduling_latency_seconds", "type", "t"));
    assertEquals(0.25, s.value("akita_task_scheduling_latency_seconds_max", "type", "t"));
    assertEquals(1, s.histogramCount("akita_task_end_to_end_latency_seconds", "type", "t", "state", "FAILED"));
    assertEquals(1, s.histogramCount("akita_task_end_to_end_latency_seconds", "type", "t", "state", "COMPLETED"));
  }

  /** Verifies resource gauges follow the samples: a disk that disappears from them leaves the scrape. */
  @Test
  void resourceGaugesFollowTheSamples() throws Exception {
    vertx.eventBus().publish(MetricsVerticle.RESOURCES_SAMPLE, sample(new JsonArray().add(disk("/a")).add(disk("/b")))
        .put("loadAverage", new JsonArray().add(0.5).add(0.25).add(0.125)));
    awaitScrape(s -> s.has("akita_node_disk_free_bytes", "mount", "/b"));
    vertx.eventBus().publish(MetricsVerticle.RESOURCES_SAMPLE, sample(new JsonArray().add(disk("/a")))
        .putNull("loadAverage"));
    PrometheusText s = awaitScrape(x -> !x.has("akita_node_disk_free_bytes", "mount", "/b"));
    assertEquals(100, s.value("akita_node_disk_free_bytes", "mount", "/a"));
    assertFalse(s.families().containsKey("akita_node_load_average"), "no load average on this OS");
    assertEquals(0.5, s.value("akita_node_cpu_usage_ratio"));
  }

  /** Verifies every field of a full sample becomes its gauge. */
  @Test
  void everySampleFieldHasItsGauge() throws Exception {
    vertx.eventBus().publish(MetricsVerticle.RESOURCES_SAMPLE, MetricsEndpointTest.resourceSample());
    PrometheusText s = awaitScrape(x -> x.has("akita_node_memory_used_bytes"));
    assertEquals(0.25, s.value("akita_node_cpu_usage_ratio"));
    assertEquals(2, s.value("akita_node_cpu_cores"));
    assertEquals(1.5, s.value("akita_node_load_average", "window", "5m"));
    assertEquals(16_000_000_000.0, s.value("akita_node_memory_total_bytes"));
    assertEquals(10_000_000_000.0, s.value("akita_node_memory_available_bytes"));
    assertEquals(6_000_000_000.0, s.value("akita_node_memory_used_bytes"));
    assertEquals(2_000_000_000.0, s.value("akita_node_swap_total_bytes"));
    assertEquals(4_000_000_000.0, s.value("akita_node_disk_free_bytes", "mount", "/data"));
    assertEquals(200, s.value("akita_node_disk_write_bytes_per_second", "mount", "/data"));
    assertEquals(2_048.0, s.value("akita_node_network_receive_bytes_per_second", "interface", "eth0"));
    assertEquals(10, s.value("akita_node_network_transmit_packets_per_second", "interface", "eth0"));
    assertEquals(42, s.value("akita_node_open_file_descriptors"));
    assertEquals(1_048_576, s.value("akita_node_max_file_descriptors"));
  }

  /**
   * What a metrics verticle of its own makes of one resource sample.
   *
   * @param sample a sample as the resources service publishes it
   * @return the scrape once the sample is in it
   */
  static PrometheusText scrapeOf(JsonObject sample) throws Exception {
    MetricsVerticleTest t = new MetricsVerticleTest();
    t.start();
    try {
      t.vertx.eventBus().publish(MetricsVerticle.RESOURCES_SAMPLE, sample);
      return t.awaitScrape(x -> x.has("akita_node_cpu_cores"));
    } finally {
      t.stop();
    }
  }

  /** Verifies the ledger's commits move its head and its per-type counter. */
  @Test
  void ledgerCommitsAreCounted() throws Exception {
    vertx.eventBus().publish(LedgerAddresses.COMMITTED, new JsonObject().put("entries", new JsonArray()
        .add(new JsonObject().put("seq", 10).put("type", "TASK_SUBMITTED"))
        .add(new JsonObject().put("seq", 11).put("type", "TASK_SUBMITTED"))));
    PrometheusText s = awaitScrape(x -> x.value("akita_ledger_head_seq") == 11);
    assertEquals(2, s.value("akita_ledger_entries_total", "type", "TASK_SUBMITTED"));
  }

  /** Verifies an unknown scrape format is refused with 400. */
  @Test
  void unknownFormatIsRefused() {
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () ->
        vertx.eventBus().request(MetricsAddresses.SCRAPE, new JsonObject().put("format", "xml"))
            .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertEquals(400, ((ReplyException) e.getCause()).failureCode());
  }

  private interface Condition {
    boolean test(PrometheusText s);
  }

  private PrometheusText awaitScrape(Condition c) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      JsonObject r = vertx.eventBus().<JsonObject>request(MetricsAddresses.SCRAPE, new JsonObject())
          .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).body();
      PrometheusText s = PrometheusText.parse(r.getString("text"));
      if (c.test(s)) {
        return s;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the scrape never matched:\n" + r.getString("text"));
      }
      Thread.sleep(50);
    }
  }

  private static JsonObject transition(String id, String from, String state, int attempt, long submittedAt, long at) {
    return new JsonObject().put("id", id).put("taskType", "t").put("from", from).put("state", state)
        .put("attempt", attempt).put("submittedAt", submittedAt).put("at", at).put("reason", "");
  }

  private static JsonObject disk(String mount) {
    return new JsonObject().put("mount", mount).put("totalBytes", 1000).put("freeBytes", 100).put("usedBytes", 900);
  }

  private static JsonObject sample(JsonArray disks) {
    return new JsonObject().put("time", System.currentTimeMillis()).put("intervalMs", 60_000)
        .put("cpu", new JsonObject().put("total", 0.5).put("cores", 2)).put("disks", disks);
  }
}
