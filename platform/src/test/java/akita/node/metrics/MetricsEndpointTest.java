package akita.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.Http.Answer;
import akita.node.testing.PrometheusText;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} on a real node in this JVM: scraped before and after real tasks (echo tasks that complete,
 * a task that times out twice, one that is cancelled) and read with a Prometheus text-format parser
 * ({@link PrometheusText}); the counters, histograms and gauges must have moved by what happened, and the resource
 * gauges must show the resources service's real samples. Also checks
 * that docs/observability.md lists every {@code akita_} family and that the Grafana dashboard only queries series
 * a node really exports.
 */
class MetricsEndpointTest {

  private static final String KEY = "metrics-test-key-0123456789";
  private static final int ECHOES = 5;
  private static final Path DOCS = Path.of("..", "docs");

  @TempDir
  static Path dir;

  private static Node node;
  private static String base;
  private static PrometheusText before;
  private static PrometheusText after;
  private static String timedOutTask;
  /** What the metrics make of a resource sample with every field (a machine may lack some). */
  private static PrometheusText fullResourceScrape;

  @BeforeAll
  static void runWorkload() throws Exception {
    Map<ConfigOption, String> f = TestNodes.flags(dir.resolve("n1"), TestNodes.uniqueCluster());
    f.put(ConfigOption.NODE_NAME, "metrics-1");
    f.put(ConfigOption.HEARTBEAT_INTERVAL_MS, "200");
    f.put(ConfigOption.RESOURCES_INTERVAL_MS, "500");
    node = TestNodes.start(f, Map.of("AKITA_VALID_API_KEYS", KEY));
    base = "http://127.0.0.1:" + node.apiPort();
    await("a leader", () -> get("/api/v1/cluster").json().getJsonObject("leader") != null);
    await("the scheduler's figures and a resource sample", () -> {
      PrometheusText s = scrape();
      return s.value("akita_scheduler_active") == 1 && s.has("akita_node_memory_total_bytes");
    });
    before = scrape();
    fullResourceScrape = MetricsVerticleTest.scrapeOf(resourceSample());
    List<String> echoes = new ArrayList<>();
    for (int i = 0; i < ECHOES; i++) {
      echoes.add(submit(new JsonObject().put("type", "echo").put("payload", new JsonObject().put("i", i))));
    }
    for (String id : echoes) {
      awaitTask(id, t -> "COMPLETED".equals(t.getString("state")));
    }
    // Runs 3 × 2 s but may take only 300 ms: times out on the worker, is retried once, and fails.
    timedOutTask = submit(greet(3, 2_000).put("timeoutMs", 300).put("maxAttempts", 2));
    JsonObject failed = awaitTask(timedOutTask, t -> "FAILED".equals(t.getString("state")));
    assertEquals("TIMEOUT", failed.getJsonObject("error").getString("code"), failed.encodePrettily());
    String cancelled = submit(greet(5, 2_000));
    awaitTask(cancelled, t -> "RUNNING".equals(t.getString("state")));
    assertEquals(200, Http.post(base + "/api/v1/tasks/" + cancelled + "/cancel", "{}", "X-API-Key", KEY,
        "Content-Type", "application/json").status());
    awaitTask(cancelled, t -> "CANCELLED".equals(t.getString("state")));

    // The scheduler reports state changes once it has stored them: poll until the last ones are counted.
    await("the counters", () -> {
      after = scrape();
      return delta("akita_tasks_completed_total", "type", "echo") == ECHOES
          && delta("akita_tasks_failed_total", "type", "example.greet", "code", "TIMEOUT") == 1
          && delta("akita_tasks_cancelled_total", "type", "example.greet") == 1
          // the scheduler's figures come once a second, the ledger's as it commits
          && after.value("akita_scheduler_tasks", "state", "COMPLETED") >= ECHOES
          && delta("akita_ledger_entries_total", "type", "TASK_COMPLETED") == ECHOES;
    });
  }

  @AfterAll
  static void stop() throws Exception {
    TestNodes.stop(node);
  }

  /** Verifies the task counters moved by exactly the tasks this test ran. */
  @Test
  void taskCountersMoveWithRealTasks() {
    assertEquals(ECHOES, delta("akita_tasks_submitted_total", "type", "echo"));
    assertEquals(ECHOES, delta("akita_tasks_completed_total", "type", "echo"));
    assertEquals(2, delta("akita_tasks_submitted_total", "type", "example.greet"));
    assertEquals(1, delta("akita_tasks_failed_total", "type", "example.greet", "code", "TIMEOUT"));
    assertEquals(1, delta("akita_tasks_retries_total", "type", "example.greet", "code", "TIMEOUT"));
    // Both attempts ran out of time: the retried one and the last.
    assertEquals(2, delta("akita_tasks_timeouts_total", "type", "example.greet", "code", "TIMEOUT"));
    assertEquals(1, delta("akita_tasks_cancelled_total", "type", "example.greet"));
    assertEquals(0, delta("akita_tasks_failed_total", "type", "echo", "code", "TIMEOUT"));
  }

  /** Verifies the scheduling and end-to-end latency histograms counted each task once. */
  @Test
  void latencyHistogramsMove() {
    String sched = "akita_task_scheduling_latency_seconds";
    String e2e = "akita_task_end_to_end_latency_seconds";
    assertEquals(ECHOES, after.histogramCount(sched, "type", "echo") - before.histogramCount(sched, "type", "echo"));
    assertEquals(ECHOES, after.histogramCount(e2e, "type", "echo", "state", "COMPLETED")
        - before.histogramCount(e2e, "type", "echo", "state", "COMPLETED"));
    assertEquals(1, after.histogramCount(e2e, "type", "example.greet", "state", "FAILED")
        - before.histogramCount(e2e, "type", "example.greet", "state", "FAILED"));
    assertEquals(1, after.histogramCount(e2e, "type", "example.greet", "state", "CANCELLED")
        - before.histogramCount(e2e, "type", "example.greet", "state", "CANCELLED"));
  }

  /** Verifies the cluster, node, scheduler, resource and ledger gauges. */
  @Test
  void gaugesDescribeTheNode() {
    assertEquals(1, after.value("akita_cluster_nodes", "state", "HEALTHY"));
    assertEquals(0, after.value("akita_cluster_nodes", "state", "OFFLINE"));
    assertEquals(1, after.value("akita_node_info", "node_id", node.context().id(), "node_name", "metrics-1"));
    assertEquals(1, after.value("akita_node_leader"));
    assertEquals(1, after.value("akita_cluster_quorum_ok"));
    assertTrue(after.value("akita_node_slots") > 0);
    assertEquals(1, after.value("akita_scheduler_active"));
    assertTrue(after.value("akita_scheduler_tasks", "state", "COMPLETED") >= ECHOES);
    assertTrue(after.has("akita_scheduler_queue_depth"));
    assertTrue(after.value("akita_ledger_head_seq") > before.value("akita_ledger_head_seq"));
    assertEquals(ECHOES, delta("akita_ledger_entries_total", "type", "TASK_COMPLETED"));
  }

  /** Verifies the resource gauges show this machine, as the resources service sampled it. */
  @Test
  void resourceGaugesShowTheRealSamples() throws Exception {
    // A sample every 500 ms: compare a scrape with the sample the node holds at the same moment.
    await("gauges that match the latest sample", () -> {
      PrometheusText now = scrape();
      JsonObject latest = get("/api/v1/nodes/" + node.context().id() + "/resources?limit=1").json()
          .getJsonObject("latest");
      boolean ok = now.value("akita_node_memory_total_bytes")
          == latest.getJsonObject("memory").getLong("totalBytes").doubleValue()
          && now.value("akita_node_cpu_cores") == latest.getJsonObject("cpu").getInteger("cores").doubleValue()
          && now.value("akita_node_memory_used_bytes") > 0
          && now.value("akita_node_cpu_usage_ratio") >= 0 && now.value("akita_node_cpu_usage_ratio") <= 1;
      for (Object o : latest.getJsonArray("disks")) {
        ok &= now.has("akita_node_disk_total_bytes", "mount", ((JsonObject) o).getString("mount"));
      }
      for (Object o : latest.getJsonArray("network")) {
        ok &= now.has("akita_node_network_receive_bytes_per_second", "interface", ((JsonObject) o).getString("name"));
      }
      return ok;
    });
  }

  /** Verifies Vert.x's own HTTP and event-bus meters and the JVM's are in the same scrape. */
  @Test
  void vertxAndJvmMetricsAreThere() {
    Set<String> names = after.families().keySet();
    assertTrue(names.stream().anyMatch(n -> n.startsWith("vertx_http_server_")), names.toString());
    assertTrue(names.stream().anyMatch(n -> n.startsWith("vertx_eventbus_")), names.toString());
    assertTrue(names.contains("jvm_memory_used_bytes"), names.toString());
    assertTrue(names.contains("process_uptime_seconds"), names.toString());
    // Per-node addresses are folded into one series per address shape.
    assertTrue(after.has("vertx_eventbus_handlers", "address", "akita.node.*.assign"), names.toString());
    assertFalse(after.has("vertx_eventbus_handlers", "address", "akita.node." + node.context().id() + ".assign"));
  }

  /** Verifies docs/observability.md names every akita_ metric family a node exports. */
  @Test
  void everyAkitaMetricIsDocumented() throws Exception {
    String doc = Files.readString(DOCS.resolve("observability.md"));
    Set<String> missing = new TreeSet<>();
    for (String family : after.families().keySet()) {
      if (family.startsWith("akita_") && !Pattern.compile("`" + family + "(\\{|`)").matcher(doc).find()) {
        missing.add(family);
      }
    }
    assertTrue(missing.isEmpty(), "docs/observability.md does not list " + missing);
  }

  /** Verifies every series the Grafana dashboard's PromQL names is one a node really exports. */
  @Test
  void dashboardQueriesRealMetrics() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(DOCS.resolve("grafana").resolve("akita-dashboard.json")));
    List<String> exprs = new ArrayList<>();
    collectExprs(dashboard, exprs);
    assertTrue(exprs.size() >= 10, "the dashboard has only " + exprs.size() + " queries");
    Pattern metric = Pattern.compile("\\b((?:akita|vertx|jvm|process|system)_[a-zA-Z0-9_]*)");
    Set<String> exported = new TreeSet<>(after.seriesNames());
    // Resource series exist where the machine gives the figure (disk rates need a known device, load averages
    // an OS that has them): count what a complete sample makes, too.
    exported.addAll(fullResourceScrape.seriesNames());
    Set<String> unknown = new TreeSet<>();
    Set<String> used = new TreeSet<>();
    for (String expr : exprs) {
      Matcher m = metric.matcher(expr.replaceAll("\\{[^}]*}", "").replaceAll("\\$\\{?[a-zA-Z_]+}?", ""));
      while (m.find()) {
        used.add(m.group(1));
        if (!exported.contains(m.group(1))) {
          unknown.add(m.group(1));
        }
      }
    }
    assertTrue(unknown.isEmpty(), "the dashboard queries series no node exports: " + unknown);
    assertTrue(used.contains("akita_tasks_completed_total") && used.contains("akita_scheduler_queue_depth"), used
        .toString());
  }

  /** Verifies /metrics needs the API key when keys are set (header or bearer token) and negotiates OpenMetrics. */
  @Test
  void metricsNeedTheKeyAndNegotiateTheFormat() throws Exception {
    Answer open = Http.get(base + "/metrics");
    assertEquals(401, open.status());
    assertEquals("API_KEY_MISSING", open.errorCode());
    assertEquals(401, Http.get(base + "/metrics", "Authorization", "Bearer wrong").status());
    Answer bearer = Http.get(base + "/metrics", "Authorization", "Bearer " + KEY);
    assertEquals(200, bearer.status());
    assertEquals("text/plain; version=0.0.4; charset=utf-8", bearer.contentType());
    Answer om = Http.get(base + "/metrics", "X-API-Key", KEY, "Accept",
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
    assertEquals(200, om.status());
    assertTrue(om.contentType().startsWith("application/openmetrics-text"), om.contentType());
    assertTrue(om.body().strip().endsWith("# EOF"));
    // The bearer form is accepted on the API too.
    assertEquals(200, Http.get(base + "/api/v1/status", "Authorization", "Bearer " + KEY).status());
  }

  /** Verifies a task's log lines in the node's buffer carry the node, task and trace ids, and level filtering. */
  @Test
  void taskLogLinesCarryNodeTaskAndTraceIds() throws Exception {
    JsonArray entries = get("/api/v1/logs?limit=2000&level=INFO").json().getJsonArray("entries");
    List<JsonObject> lines = new ArrayList<>();
    for (Object o : entries) {
      JsonObject e = (JsonObject) o;
      if (e.getJsonObject("mdc") != null && timedOutTask.equals(e.getJsonObject("mdc").getString("taskId"))) {
        lines.add(e);
      }
    }
    assertEquals(2, lines.size(), "one line per timed-out attempt: " + entries.encodePrettily());
    for (JsonObject line : lines) {
      assertEquals(node.context().id(), line.getString("nodeId"), line.encode());
      assertEquals(node.context().id(), line.getJsonObject("mdc").getString("nodeId"), line.encode());
      assertEquals(timedOutTask.replace("-", ""), line.getJsonObject("mdc").getString("traceId"), line.encode());
      assertTrue(line.getString("message").contains("TIMEOUT"), line.encode());
    }
    assertEquals(Set.of("1", "2"), Set.of(lines.get(0).getJsonObject("mdc").getString("attempt"),
        lines.get(1).getJsonObject("mdc").getString("attempt")));
    for (Object o : get("/api/v1/logs?limit=2000&level=WARN").json().getJsonArray("entries")) {
      String level = ((JsonObject) o).getString("level");
      assertTrue(level.equals("WARN") || level.equals("ERROR"), level);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private static double delta(String family, String... labels) {
    return after.value(family, labels) - before.value(family, labels);
  }

  private static PrometheusText scrape() throws Exception {
    Answer a = Http.get(base + "/metrics", "X-API-Key", KEY);
    assertEquals(200, a.status(), a.body());
    return PrometheusText.parse(a.body());
  }

  private static Answer get(String path) throws Exception {
    return Http.get(base + path, "X-API-Key", KEY);
  }

  private static String submit(JsonObject task) throws Exception {
    Answer a = Http.post(base + "/api/v1/tasks", task.encode(), "X-API-Key", KEY, "Content-Type", "application/json");
    assertEquals(202, a.status(), a.body());
    return a.json().getString("id");
  }

  private static JsonObject greet(int times, int delayMs) {
    return new JsonObject().put("type", "example.greet")
        .put("payload", new JsonObject().put("name", "Ada").put("times", times).put("delayMs", delayMs));
  }

  private static JsonObject awaitTask(String id, Predicate<JsonObject> p) throws Exception {
    JsonObject[] last = {null};
    await("task " + id, () -> p.test(last[0] = get("/api/v1/tasks/" + id).json()));
    return last[0];
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private static void await(String what, Check check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  private static void collectExprs(Object node, List<String> out) {
    if (node instanceof JsonObject o) {
      o.forEach(e -> {
        if (e.getKey().equals("expr") && e.getValue() instanceof String s) {
          out.add(s);
        } else {
          collectExprs(e.getValue(), out);
        }
      });
    } else if (node instanceof JsonArray a) {
      a.forEach(v -> collectExprs(v, out));
    }
  }

  /** A sample in the resources service's shape (docs/resources.md) with every field. */
  static JsonObject resourceSample() {
    return new JsonObject()
        .put("time", System.currentTimeMillis()).put("intervalMs", 60_000)
        .put("cpu", new JsonObject().put("total", 0.25).put("perCore", new JsonArray().add(0.2).add(0.3))
            .put("cores", 2))
        .put("loadAverage", new JsonArray().add(1.0).add(1.5).add(2.0))
        .put("memory", new JsonObject().put("totalBytes", 16_000_000_000L).put("availableBytes", 10_000_000_000L)
            .put("usedBytes", 6_000_000_000L))
        .put("swap", new JsonObject().put("totalBytes", 2_000_000_000L).put("usedBytes", 0))
        .put("disks", new JsonArray().add(new JsonObject().put("mount", "/data").put("totalBytes", 10_000_000_000L)
            .put("freeBytes", 4_000_000_000L).put("usedBytes", 6_000_000_000L).put("readBytesPerSecond", 100.0)
            .put("writeBytesPerSecond", 200.0)))
        .put("network", new JsonArray().add(new JsonObject().put("name", "eth0").put("rxBytesPerSecond", 2_048.0)
            .put("txBytesPerSecond", 1_024.0).put("rxPacketsPerSecond", 20.0).put("txPacketsPerSecond", 10.0)))
        .put("openFileDescriptors", 42).put("maxFileDescriptors", 1_048_576)
        .put("jvm", new JsonObject().put("heapUsedBytes", 100_000_000L).put("heapMaxBytes", 1_000_000_000L));
  }
}
