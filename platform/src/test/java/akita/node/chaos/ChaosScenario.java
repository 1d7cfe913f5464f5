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

    List<String> ids = acked.values().stream().map(TaskLoad.Acked::id).toList();
    TaskAudit.Store store = readStore(apis, ids, acked.keySet(), since, problems);
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

    Integer[] ledger;
    try {
      ledger = ledgerCounts(store, since, problems);
    } catch (Exception e) {
      problems.add("the ledgers could not be read: " + e);
      ledger = new Integer[] {null, null, null};
    }
    boolean verified = true;
    for (int i = 0; i < cluster.size(); i++) {
      try {
        JsonObject v = TaskAudit.verify(cluster.api(i));
        if (!v.getBoolean("ok", false)) {
          verified = false;
          problems.add(cluster.node(i).name() + "'s ledger does not verify: " + v.encode());
        }
      } catch (Exception e) {
        verified = false;
        problems.add(cluster.node(i).name() + "'s ledger could not be verified: " + e);
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
        store.count("FAILED"), store.count("CANCELLED"), lost.size(), twice.size(), ledger[0], ledger[1], ledger[2],
        dupKeys.size(), inconsistent.size(), verified, recover, List.copyOf(marks.leaderMs), probeMs, problems);
    ChaosReport.add(s, row);
    return row;
  }

  private TaskAudit.Store readStore(List<String> apis, List<String> ids, Set<String> keys, long since,
      List<String> problems) throws InterruptedException {
    try {
      return TaskAudit.awaitTerminal(apis, ids, keys, since, Duration.ofMillis(s.settleMs()));
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      problems.add("the tasks could not be read: " + e);
      return new TaskAudit.Store(Map.of(), Map.of());
    }
  }

  /**
   * Counts, from every node's ledger, the finished tasks whose end is recorded more than once (twice on one
   * node, or by two leaders) and those whose end is recorded on no node, waiting (bounded) for the ledgers to
   * catch up with the store; and counts the ends some node lacks although another has them (replication).
   *
   * @return {duplicated, missing, not on every node}, all null when no ledger holds any task event
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
        return new Integer[] {null, null, null};
      }
      List<String> missing = new ArrayList<>();
      List<String> duplicated = new ArrayList<>();
      int gaps = 0;
      for (String id : finished) {
        Set<String> ends = new HashSet<>();
        boolean twiceOnOneNode = false;
        for (TaskAudit.Ledger l : ledgers) {
          ends.addAll(l.endings(id));
          twiceOnOneNode |= l.endings(id).size() > 1;
          gaps += l.endings(id).isEmpty() ? 1 : 0;
        }
        if (ends.isEmpty()) {
          missing.add(id);
          gaps -= ledgers.size();
        } else if (ends.size() > 1 || twiceOnOneNode) {
          duplicated.add(id + " " + ends);
        }
      }
      if (missing.isEmpty() || System.nanoTime() > deadline) {
        if (!missing.isEmpty()) {
          problems.add(missing.size() + " finished task(s) whose end is in no node's ledger, e.g. "
              + missing.subList(0, Math.min(3, missing.size())));
        }
        if (!duplicated.isEmpty()) {
          problems.add(duplicated.size() + " task(s) whose end the ledgers record more than once, e.g. "
              + duplicated.subList(0, Math.min(3, duplicated.size())));
        }
        if (gaps > 0) {
          System.out.printf("ledger: %d task end(s) recorded on some node but missing on another (replication)%n",
              gaps);
        }
        return new Integer[] {duplicated.size(), missing.size(), gaps};
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
