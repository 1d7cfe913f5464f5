package akita.node.chaos;

import akita.node.testing.Http;
import akita.node.testing.ProcessCluster;
import akita.node.testing.TaskAudit;
import akita.node.testing.TaskLoad;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

  private boolean warm;

  ChaosScenario(ChaosSettings settings, ProcessCluster cluster) {
    this.s = settings;
    this.cluster = cluster;
  }

  /**
   * Runs the load for one phase on the fresh cluster and waits for its tasks, so that the first scenario
   * does not measure the nodes' JIT warm-up. Not reported.
   */
  private void warmUp() throws Exception {
    List<String> apis = apis();
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
    Map<String, TaskLoad.Acked> acked = load.acked();
    TaskAudit.awaitTerminal(apis, acked.values().stream().map(TaskLoad.Acked::id).toList(), acked.keySet(), since,
        Duration.ofMillis(s.settleMs()));
    System.out.printf("warm-up: %s%n", load.stats());
  }

  private List<String> apis() {
    List<String> apis = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      apis.add(cluster.api(i));
    }
    return apis;
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
    cluster.startAll();
    cluster.awaitSettled(SETTLE);
    if (!warm) {
      warmUp();
      warm = true;
    }
    System.out.printf("%n=== chaos scenario %s: %.0f tasks/s ===%n", name, s.rate());
    List<String> apis = apis();
    long since = System.currentTimeMillis() - 1_000;
    String prefix = "chaos-" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    Marks marks = new Marks();
    List<String> problems = new ArrayList<>();
    TaskLoad.Stats stats;
    TaskLoad load = new TaskLoad(apis, s.rate(), tasks(), prefix, Duration.ofMillis(s.retryMs())).start();
    Map<String, TaskLoad.Acked> acked;
    try {
      Thread.sleep(s.phaseMs()); // steady load before the fault
      fault.inject(cluster, marks);
      JsonObject settled = cluster.awaitSettled(SETTLE);
      System.out.printf("%s: settled, leader %s term %d%n", name, settled.getJsonObject("leader").getString("name"),
          settled.getLong("term"));
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

    List<String> ids = acked.values().stream().map(TaskLoad.Acked::id).toList();
    TaskAudit.Store store = TaskAudit.awaitTerminal(apis, ids, acked.keySet(), since,
        Duration.ofMillis(s.settleMs()));
    List<String> lost = store.lost(ids);
    if (!lost.isEmpty()) {
      problems.add(lost.size() + " acknowledged task(s) lost (not found or not terminal)"
          + ackedWhen(acked, lost, marks) + ", e.g. " + examples(store, lost));
    }
    List<String> twice = store.completedMoreThanOnce();
    if (!twice.isEmpty()) {
      problems.add(twice.size() + " task(s) with more than one COMPLETED attempt, e.g. " + examples(store, twice));
    }
    List<String> inconsistent = store.inconsistent();
    if (!inconsistent.isEmpty()) {
      problems.add(inconsistent.size() + " task(s) whose state and attempts disagree, e.g. "
          + examples(store, inconsistent));
    }
    List<String> dupKeys = store.duplicateSubmits();
    if (!dupKeys.isEmpty()) {
      problems.add(dupKeys.size() + " idempotency key(s) stored as more than one task, e.g. "
          + dupKeys.subList(0, Math.min(3, dupKeys.size())).stream().map(k -> k + "=" + store.submitsByKey().get(k))
          .toList());
    }

    Integer[] ledger = ledgerCounts(store, since, problems);
    boolean verified = true;
    for (int i = 0; i < cluster.size(); i++) {
      JsonObject v = TaskAudit.verify(cluster.api(i));
      if (!v.getBoolean("ok", false)) {
        verified = false;
        problems.add(cluster.node(i).name() + "'s ledger does not verify: " + v.encode());
      }
    }

    long probeMs = -1;
    try {
      probeMs = TaskAudit.probe(apis, new JsonObject().put("type", "echo").put("idempotencyKey", prefix + "probe")
          .put("payload", new JsonObject().put("probe", name)), Duration.ofSeconds(60));
    } catch (AssertionError e) {
      problems.add("the cluster does not serve again: " + e.getMessage());
    }

    List<Long> recover = new ArrayList<>();
    for (long f : marks.faults) {
      long r = store.firstCompletionAfter(f);
      recover.add(r);
      if (r < 0) {
        problems.add("no task submitted after the fault at " + java.time.Instant.ofEpochMilli(f) + " completed");
      }
    }
    ChaosReport.Row row = new ChaosReport.Row(name, stats.offered(), stats.acked(), stats.retried(),
        stats.refusals(), stats.gaveUp(), stats.rejected(), stats.shed(), store.count("COMPLETED"),
        store.count("FAILED"), store.count("CANCELLED"), lost.size(), twice.size(), ledger[0], ledger[1],
        dupKeys.size(), inconsistent.size(), verified, recover, List.copyOf(marks.leaderMs), probeMs, problems);
    ChaosReport.add(s, row);
    return row;
  }

  /**
   * Counts, on every node's ledger, the finished tasks with more than one ending entry and those with none,
   * waiting (bounded) for the ledger to catch up with the store.
   *
   * @return {duplicated, missing}, both null when no ledger holds any task event
   */
  private Integer[] ledgerCounts(TaskAudit.Store store, long since, List<String> problems) throws Exception {
    List<String> finished = store.tasks().values().stream()
        .filter(t -> TaskAudit.TERMINAL.contains(t.getString("state"))).map(t -> t.getString("id")).toList();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      List<TaskAudit.Ledger> ledgers = new ArrayList<>();
      for (int i = 0; i < cluster.size(); i++) {
        ledgers.add(TaskAudit.ledger(cluster.api(i), since));
      }
      if (ledgers.stream().noneMatch(TaskAudit.Ledger::hasTaskEvents)) {
        System.out.println("the ledgers hold no TASK_* events: ledger counts n/a");
        return new Integer[] {null, null};
      }
      Set<String> missing = new HashSet<>();
      Set<String> duplicated = new HashSet<>();
      List<String> examples = new ArrayList<>();
      for (int i = 0; i < ledgers.size(); i++) {
        for (String id : finished) {
          int ends = ledgers.get(i).endings(id);
          if (ends == 0 && missing.add(id) && examples.size() < 3) {
            examples.add(cluster.node(i).name() + " has no ending entry for " + id);
          }
          if ((ends > 1 || ledgers.get(i).completions(id) > 1) && duplicated.add(id) && examples.size() < 6) {
            examples.add(cluster.node(i).name() + " has " + ends + " ending entries for " + id);
          }
        }
      }
      if (missing.isEmpty() || System.nanoTime() > deadline) {
        if (!missing.isEmpty()) {
          problems.add(missing.size() + " finished task(s) without their ending in some node's ledger: " + examples);
        }
        if (!duplicated.isEmpty()) {
          problems.add(duplicated.size() + " task(s) ended more than once in some node's ledger: " + examples);
        }
        return new Integer[] {duplicated.size(), missing.size()};
      }
      Thread.sleep(500);
    }
  }

  /** @return when the given tasks were acknowledged, relative to the first fault */
  private static String ackedWhen(Map<String, TaskLoad.Acked> acked, List<String> ids, Marks marks) {
    if (marks.faults.isEmpty()) {
      return "";
    }
    Set<String> wanted = new HashSet<>(ids);
    long fault = marks.faults.get(0);
    java.util.LongSummaryStatistics at = acked.values().stream().filter(a -> wanted.contains(a.id()))
        .mapToLong(a -> a.ackedAtMs() - fault).summaryStatistics();
    return " acknowledged from " + at.getMin() + " ms to " + at.getMax() + " ms after the first fault";
  }

  private static List<String> examples(TaskAudit.Store store, List<String> ids) {
    return ids.subList(0, Math.min(3, ids.size())).stream()
        .map(id -> store.tasks().containsKey(id) ? store.tasks().get(id).encode() : id + " (not found)").toList();
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
