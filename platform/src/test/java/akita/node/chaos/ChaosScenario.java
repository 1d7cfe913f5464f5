package akita.node.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.Http;
import akita.node.testing.ProcessCluster;
import akita.node.testing.TaskAudit;
import akita.node.testing.TaskLoad;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongFunction;

/**
 * One chaos scenario: steady open-loop load on a settled cluster, a fault, recovery, more load; then the
 * checks: every acknowledged task ends in one terminal state, none is lost, none completed twice (in the
 * store's attempt history and in every node's ledger), every ledger verifies, one leader, and a fresh task
 * completes. The outcome becomes a row of the {@link ChaosReport}.
 */
final class ChaosScenario {

  /** The fault a scenario injects. */
  interface Fault {
    /**
     * Injects the fault and waits until the cluster should recover (nodes restarted, links healed).
     *
     * @param cluster the cluster
     * @param marks where to record when faults happened and how long leaders took
     */
    void inject(ProcessCluster cluster, Marks marks) throws Exception;
  }

  /** Times a fault records for the report. */
  static final class Marks {
    private final List<Long> faults = new ArrayList<>();
    private final List<Long> leaderMs = new ArrayList<>();

    /** @return now (epoch ms), recorded as the moment of a fault */
    long fault() {
      long t = System.currentTimeMillis();
      faults.add(t);
      return t;
    }

    /** Records that a new leader was seen, for the fault at {@code faultAt}. */
    void leaderSince(long faultAt) {
      leaderMs.add(System.currentTimeMillis() - faultAt);
    }

    /** @return the last recorded time to a new leader */
    long leaderMsLast() {
      return leaderMs.get(leaderMs.size() - 1);
    }
  }

  private static final Duration SETTLE = Duration.ofSeconds(120);

  private final ChaosSettings s;
  private final ProcessCluster cluster;

  private final ChaosChecks checks;
  private boolean warm;

  ChaosScenario(ChaosSettings settings, ProcessCluster cluster) {
    this.s = settings;
    this.cluster = cluster;
    this.checks = new ChaosChecks(settings, cluster);
  }

  /**
   * Runs the load for one phase on the fresh cluster and waits for its tasks, so that the first scenario
   * does not measure the nodes' JIT warm-up. Not reported.
   */
  private void warmUp() throws Exception {
    List<String> apis = cluster.apis();
    long since = System.currentTimeMillis() - 1_000;
    TaskLoad load = new TaskLoad(apis, s.rate(), tasks(), "chaos-warmup-" + UUID.randomUUID() + "-",
        Duration.ofMillis(s.retryMs())).start();
    try {
      Thread.sleep(s.phaseMs());
      load.stop();
      load.awaitSettled(Duration.ofMillis(s.retryMs()));
    } finally {
      load.close();
    }
    List<String> problems = new ArrayList<>();
    checks.tasks(load.acked(), since, null, problems);
    System.out.printf("warm-up: %s%s%n", load.stats(), problems.isEmpty() ? "" : "; problems: " + problems);
  }

  /** The load's tasks: mostly {@code noop}, and {@code slowPerSecond} per second {@code shell sleep}. */
  private LongFunction<JsonObject> tasks() {
    long slowEvery = s.slowPerSecond() > 0 ? Math.max(1, Math.round(s.rate() / s.slowPerSecond())) : 0;
    return n -> slowEvery > 0 && n % slowEvery == 0
        ? new JsonObject().put("type", "shell").put("maxAttempts", 5).put("payload", new JsonObject()
            .put("command", new JsonArray().add("sleep").add(String.valueOf(s.slowSeconds()))))
        : new JsonObject().put("type", "noop").put("maxAttempts", 5).put("payload", new JsonObject().put("n", n));
  }

  /**
   * Runs the scenario and adds its row to the report.
   *
   * @param name the scenario's name
   * @param fault the fault
   * @return the row; its {@code problems} say what failed
   */
  ChaosReport.Row run(String name, Fault fault) throws Exception {
    try {
      cluster.startAll();
      cluster.awaitSettled(SETTLE);
    } catch (AssertionError e) {
      // A scenario before this one left the cluster broken (and failed for it): start afresh on the same data.
      System.out.println("the cluster is not settled before " + name + " (" + e.getMessage() + "): restarting it");
      for (int i = 0; i < cluster.size(); i++) {
        if (cluster.isUp(i)) {
          cluster.kill(i);
        }
      }
      cluster.startAll();
      cluster.awaitSettled(SETTLE);
    }
    if (!warm) {
      warmUp();
      warm = true;
    }
    System.out.printf("%n=== chaos scenario %s: %.0f tasks/s ===%n", name, s.rate());
    List<String> apis = cluster.apis();
    long since = System.currentTimeMillis() - 1_000;
    String prefix = "chaos-" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    Marks marks = new Marks();
    List<String> problems = new ArrayList<>();
    TaskLoad.Stats stats;
    TaskLoad load = new TaskLoad(apis, s.rate(), tasks(), prefix, Duration.ofMillis(s.retryMs())).start();
    Map<String, TaskLoad.Acked> acked;
    try {
      Thread.sleep(s.phaseMs()); // steady load before the fault
      try {
        fault.inject(cluster, marks);
        JsonObject settled = cluster.awaitSettled(SETTLE);
        System.out.printf("%s: settled, leader %s term %d%n", name,
            settled.getJsonObject("leader").getString("name"), settled.getLong("term"));
      } catch (Exception | AssertionError e) {
        problems.add("the cluster did not recover: " + e.getMessage());
        System.out.printf("%s: the cluster did not recover: %s%n", name, e.getMessage());
      }
      Thread.sleep(s.phaseMs()); // steady load after recovery
      load.stop();
      if (!load.awaitSettled(Duration.ofMillis(s.retryMs() + 15_000))) {
        problems.add("submits still pending after the retry time: " + load.stats());
      }
      stats = load.stats();
      acked = load.acked();
      if (!load.rejections().isEmpty()) {
        problems.add(stats.rejected() + " valid submit(s) refused for good, e.g. " + load.rejections());
      }
    } finally {
      load.close();
    }
    System.out.printf("%s: load %s%n", name, stats);

    ChaosChecks.Tasks tasks = checks.tasks(acked, since, marks.faults.isEmpty() ? null : marks.faults.get(0),
        problems);
    Integer[] ledger = checks.ledger(tasks.store(), problems);
    boolean verified = checks.verify(problems);
    long probeMs = checks.probe(prefix + "probe", name, problems);
    List<Long> recover = new ArrayList<>();
    for (long f : marks.faults) {
      long r = tasks.store().firstCompletionAfter(f);
      recover.add(r);
      if (r < 0) {
        problems.add("no task submitted after the fault at " + java.time.Instant.ofEpochMilli(f) + " completed");
      }
    }
    TaskAudit.Store store = tasks.store();
    store.tasks().values().stream().filter(t -> "FAILED".equals(t.getString("state"))).limit(5).forEach(t ->
        System.out.printf("%s: task %s FAILED after %d attempt(s): %s%n", name, t.getString("id"),
            t.getInteger("attempts", 0), t.getJsonObject("error") == null ? "no error" : t.getJsonObject("error")
                .encode()));
    ChaosReport.Row row = new ChaosReport.Row(name, stats.offered(), stats.acked(), stats.retried(),
        stats.refusals(), stats.gaveUp(), stats.rejected(), stats.shed(), store.count("COMPLETED"),
        store.count("FAILED"), store.count("CANCELLED"), tasks.lost(), tasks.completedTwice(), ledger[0], ledger[1],
        ledger[2], tasks.duplicateSubmits(), tasks.inconsistent(), verified, recover, List.copyOf(marks.leaderMs),
        probeMs, problems);
    ChaosReport.add(s, row);
    return row;
  }

  /** Asserts a scenario's outcome: nothing lost, nothing completed twice, and no other problem. */
  static void assertClean(ChaosReport.Row row) {
    assertEquals(0, row.lost(), () -> "lost tasks: " + row.problems());
    assertEquals(0, row.duplicated(), () -> "duplicated completions: " + row.problems());
    assertTrue(row.problems().isEmpty(), () -> String.join("\n", row.problems()));
  }

  /**
   * Waits until node {@code i} runs at least one task (so a fault hits work in flight).
   *
   * @return whether it did within the time
   */
  static boolean awaitRunningOn(ProcessCluster cluster, int i, Duration timeout) throws Exception {
    String nodeId = Http.get(cluster.api(i) + "/api/v1/status").json().getString("nodeId");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Http.Answer a = Http.get(cluster.api(i) + "/api/v1/tasks?state=RUNNING&limit=1&node=" + nodeId);
      if (a.status() == 200 && !a.json().getJsonArray("tasks").isEmpty()) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }
}
