package akita.node.chaos;

import akita.node.testing.ProcessCluster;
import akita.node.testing.TaskAudit;
import akita.node.testing.TaskLoad;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Set;

/**
 * The checks after each chaos scenario, with what they remember from the scenarios before: a task that ended
 * in an earlier scenario must still be there, ended the same way (a whole-cluster restart must not bring it
 * back to run again), and no task's end may appear twice anywhere in the ledgers. Every finding is added to
 * the scenario's problems, with examples.
 */
final class ChaosChecks {

  /**
   * What the task checks found.
   *
   * @param store the scenario's tasks as stored
   * @param lost acknowledged tasks (of this scenario or an earlier one) not found or not terminal
   * @param completedTwice tasks with two COMPLETED attempts, or whose end changed after an earlier check
   * @param inconsistent tasks whose state and attempt history disagree
   * @param duplicateSubmits idempotency keys stored as more than one task
   */
  record Tasks(TaskAudit.Store store, int lost, int completedTwice, int inconsistent, int duplicateSubmits) {
  }

  /**
   * How long the checks go on waiting while no task ends: longer than the leader's backstop for an attempt
   * whose worker went silent (ACK timeout + 2 × the 60 s default timeout with prefetch), after which the task
   * is retried elsewhere.
   */
  private static final Duration STALL = Duration.ofSeconds(150);

  private final ChaosSettings s;
  private final ProcessCluster cluster;
  private final long runStart = System.currentTimeMillis() - 1_000;
  /** Every acknowledged task that ended, from the checks so far: id to {@code STATE finishedAt}. */
  private final Map<String, String> ended = new HashMap<>();
  /** Tasks whose second end was already reported, from the store and from the ledgers. */
  private final Set<String> reportedEndedAgain = new HashSet<>();
  private final Set<String> reportedInLedger = new HashSet<>();

  ChaosChecks(ChaosSettings settings, ProcessCluster cluster) {
    this.s = settings;
    this.cluster = cluster;
  }

  /**
   * Waits for the scenario's acknowledged tasks to end and checks them, then checks again every task that
   * ended in an earlier scenario.
   *
   * @param acked the scenario's acknowledged submits
   * @param since a time before the scenario's first submit (epoch ms)
   * @param firstFault when the scenario's first fault happened (epoch ms), or null
   * @param problems where findings go
   */
  Tasks tasks(Map<String, TaskLoad.Acked> acked, long since, Long firstFault, List<String> problems)
      throws InterruptedException {
    List<String> ids = acked.values().stream().map(TaskLoad.Acked::id).toList();
    TaskAudit.Store store = read(ids, acked.keySet(), since, STALL, problems);
    List<String> lost = store.lost(ids);
    if (!lost.isEmpty()) {
      problems.add(lost.size() + " acknowledged task(s) lost (not found or not terminal)"
          + ackedWhen(acked, lost, firstFault) + ", e.g. " + examples(store, lost));
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
    List<String> acrossCut = store.duplicateSubmits().stream().filter(k -> ranAcrossCut(store, acked.get(k))).toList();
    if (!acrossCut.isEmpty()) {
      System.out.printf("%d request(s) ran twice across a cut: besides the acknowledged task, a copy stored by a "
          + "cut-off leader of a lower term (its client was told NOT_STORED and retried), e.g. %s%n", acrossCut.size(),
          acrossCut.subList(0, Math.min(3, acrossCut.size())).stream().map(k -> k + "=" + store.submitsByKey().get(k))
              .toList());
    }
    List<String> dupKeys = store.duplicateSubmits().stream().filter(k -> !acrossCut.contains(k)).toList();
    if (!dupKeys.isEmpty()) {
      problems.add(dupKeys.size() + " idempotency key(s) stored as more than one task, e.g. "
          + dupKeys.subList(0, Math.min(3, dupKeys.size())).stream().map(k -> k + "=" + store.submitsByKey().get(k))
          .toList());
    }
    int[] earlier = s.recheckEarlier() && !ended.isEmpty() ? recheckEarlier(problems) : new int[2];
    for (JsonObject t : store.tasks().values()) {
      if (TaskAudit.TERMINAL.contains(t.getString("state"))) {
        ended.put(t.getString("id"), endOf(t));
      }
    }
    return new Tasks(store, lost.size() + earlier[0], twice.size() + earlier[1], inconsistent.size(),
        dupKeys.size());
  }

  /**
   * @return whether every other task stored under the key of an acknowledged one was created in a lower term: a
   *     leader cut off by a partition stored it in the seconds before it noticed the cut and answered its client
   *     {@code NOT_STORED}; the retry on the majority side could not see it (at least once, docs/rest.md)
   */
  private static boolean ranAcrossCut(TaskAudit.Store store, TaskLoad.Acked acked) {
    if (acked == null || !store.submitsByKey().get(acked.key()).contains(acked.id())) {
      return false;
    }
    long ackedTerm = store.termOf().getOrDefault(acked.id(), 0L);
    return store.submitsByKey().get(acked.key()).stream().filter(id -> !id.equals(acked.id()))
        .allMatch(id -> store.termOf().getOrDefault(id, Long.MAX_VALUE) < ackedTerm);
  }

  private static String endOf(JsonObject t) {
    return t.getString("state") + " " + t.getString("finishedAt");
  }

  /**
   * Reads every task that ended in an earlier scenario again.
   *
   * @return {lost, ended again}
   */
  private int[] recheckEarlier(List<String> problems) throws InterruptedException {
    TaskAudit.Store again = read(ended.keySet(), Set.of(), runStart, Duration.ofSeconds(20), problems);
    List<String> lost = again.lost(ended.keySet());
    Set<String> gone = new HashSet<>(lost);
    List<String> changed = ended.entrySet().stream().filter(e -> !gone.contains(e.getKey())
        && !endOf(again.tasks().get(e.getKey())).equals(e.getValue()))
        .map(Map.Entry::getKey).filter(reportedEndedAgain::add).toList();
    if (!lost.isEmpty()) {
      problems.add(lost.size() + " task(s) acknowledged and ended in an earlier scenario are gone or no longer "
          + "terminal, e.g. " + examples(again, lost));
    }
    if (!changed.isEmpty()) {
      problems.add(changed.size() + " task(s) that had ended in an earlier scenario ended again, e.g. "
          + changed.subList(0, Math.min(3, changed.size())).stream()
              .map(id -> "was " + ended.get(id) + ", now " + again.tasks().get(id).encode()).toList());
    }
    return new int[] {lost.size(), changed.size()};
  }

  private TaskAudit.Store read(java.util.Collection<String> ids, Set<String> keys, long since, Duration stall,
      List<String> problems) throws InterruptedException {
    try {
      return TaskAudit.awaitTerminal(cluster.apis(), ids, keys, since, Duration.ofMillis(s.settleMs()), stall);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      problems.add("the tasks could not be read: " + e);
      return new TaskAudit.Store(Map.of(), Map.of(), Map.of());
    }
  }

  /**
   * Counts, over every node's whole ledger, the tasks whose end is recorded more than once (twice on one node,
   * or by two leaders), and the scenario's finished tasks whose end is recorded on no node, waiting (bounded)
   * for the ledgers to catch up with the store; and counts the scenario's ends some node lacks although
   * another has them (replication).
   *
   * @param store the scenario's tasks
   * @param problems where findings go
   * @return {duplicated, missing, not on every node}, all null when no ledger holds any task event
   */
  Integer[] ledger(TaskAudit.Store store, List<String> problems) throws InterruptedException {
    try {
      return ledgerCounts(store, problems);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      problems.add("the ledgers could not be read: " + e);
      return new Integer[] {null, null, null};
    }
  }

  private Integer[] ledgerCounts(TaskAudit.Store store, List<String> problems) throws Exception {
    List<String> finished = store.tasks().values().stream()
        .filter(t -> TaskAudit.TERMINAL.contains(t.getString("state"))).map(t -> t.getString("id")).toList();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      List<TaskAudit.Ledger> ledgers = new ArrayList<>();
      for (int i = 0; i < cluster.size(); i++) {
        ledgers.add(TaskAudit.ledger(cluster.api(i), runStart));
      }
      if (ledgers.stream().noneMatch(TaskAudit.Ledger::hasTaskEvents)) {
        System.out.println("the ledgers hold no TASK_* events: ledger counts n/a");
        return new Integer[] {null, null, null};
      }
      List<String> missing = new ArrayList<>();
      int gaps = 0;
      for (String id : finished) {
        int on = (int) ledgers.stream().filter(l -> !l.endings(id).isEmpty()).count();
        if (on == 0) {
          missing.add(id);
        } else {
          gaps += ledgers.size() - on;
        }
      }
      if (missing.isEmpty() || System.nanoTime() > deadline) {
        List<String> duplicated = duplicatedEnds(ledgers);
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

  /** @return the tasks, not reported before, with more than one end in the ledgers, each with its ends */
  private List<String> duplicatedEnds(List<TaskAudit.Ledger> ledgers) {
    Set<String> subjects = new HashSet<>();
    ledgers.forEach(l -> subjects.addAll(l.ends().keySet()));
    List<String> out = new ArrayList<>();
    for (String id : subjects) {
      Set<String> ends = new HashSet<>();
      boolean twiceOnOneNode = false;
      for (TaskAudit.Ledger l : ledgers) {
        ends.addAll(l.endings(id));
        twiceOnOneNode |= l.endings(id).size() > 1;
      }
      if ((ends.size() > 1 || twiceOnOneNode) && reportedInLedger.add(id)) {
        out.add(id + " " + ends);
      }
    }
    return out;
  }

  /** @return whether every node's ledger verifies; adds a problem for each that does not */
  boolean verify(List<String> problems) {
    boolean verified = true;
    for (int i = 0; i < cluster.size(); i++) {
      try {
        JsonObject v = verifyWithRetry(cluster.api(i));
        if (!v.getBoolean("ok", false)) {
          verified = false;
          problems.add(cluster.node(i).name() + "'s ledger does not verify: " + v.encode());
        }
      } catch (Exception e) {
        verified = false;
        problems.add(cluster.node(i).name() + "'s ledger could not be verified: " + e);
      }
    }
    return verified;
  }

  /** Verifies a node's ledger, asking up to three times when the node answers 503 (too busy to finish). */
  private static JsonObject verifyWithRetry(String api) throws Exception {
    for (int i = 1; ; i++) {
      try {
        return TaskAudit.verify(api);
      } catch (IllegalStateException e) {
        if (i == 3 || !e.getMessage().contains(" 503 ")) {
          throw e;
        }
        System.out.println("ledger verify at " + api + " answered 503; asking again: " + e.getMessage());
      }
    }
  }

  /**
   * Submits a fresh task and waits for it to complete.
   *
   * @return ms until it completed, or -1 (and a problem) when it did not
   */
  long probe(String key, String scenario, List<String> problems) throws Exception {
    try {
      return TaskAudit.probe(cluster.apis(), new JsonObject().put("type", "echo").put("idempotencyKey", key)
          .put("payload", new JsonObject().put("probe", scenario)), Duration.ofSeconds(60));
    } catch (AssertionError e) {
      problems.add("the cluster does not serve again: " + e.getMessage());
      return -1;
    }
  }

  /** @return when the given tasks were acknowledged, relative to the first fault */
  private static String ackedWhen(Map<String, TaskLoad.Acked> acked, List<String> ids, Long fault) {
    if (fault == null) {
      return "";
    }
    Set<String> wanted = new HashSet<>(ids);
    LongSummaryStatistics at = acked.values().stream().filter(a -> wanted.contains(a.id()))
        .mapToLong(a -> a.ackedAtMs() - fault).summaryStatistics();
    return " acknowledged from " + at.getMin() + " ms to " + at.getMax() + " ms after the first fault";
  }

  private static List<String> examples(TaskAudit.Store store, List<String> ids) {
    return ids.subList(0, Math.min(3, ids.size())).stream()
        .map(id -> store.tasks().containsKey(id) ? store.tasks().get(id).encode() : id + " (not found)").toList();
  }
}
