package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.Http.Answer;
import akita.node.testing.SimulatedWorker;
import akita.node.testing.SimulatedWorker.Behaviour;
import akita.node.testing.TestNodes;
import com.hazelcast.map.IMap;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task lifecycle through the REST door on real nodes (in this JVM) and simulated misbehaving workers. */
class TaskFlowTest {

  @TempDir
  Path dir;

  private final List<Node> nodes = new ArrayList<>();
  private final List<SimulatedWorker> sims = new ArrayList<>();
  private String cluster;
  private String members;

  @AfterEach
  void stopAll() throws Exception {
    for (SimulatedWorker s : sims) {
      s.close();
    }
    for (int i = nodes.size() - 1; i >= 0; i--) {
      TestNodes.stop(nodes.get(i));
    }
  }

  private Node node(String name, String... extra) throws Exception {
    if (cluster == null) {
      cluster = TestNodes.uniqueCluster();
    }
    Map<ConfigOption, String> f = TestNodes.flags(dir.resolve(name), cluster);
    f.put(ConfigOption.NODE_NAME, name);
    f.put(ConfigOption.HEARTBEAT_INTERVAL_MS, "200");
    for (int i = 0; i < extra.length; i += 2) {
      f.put(ConfigOption.valueOf(extra[i]), extra[i + 1]);
    }
    if (members == null) {
      members = "127.0.0.1:" + f.get(ConfigOption.HZ_PORT);
    } else {
      f.put(ConfigOption.MEMBERS, members);
    }
    Node n = TestNodes.start(f, Map.of());
    nodes.add(n);
    return n;
  }

  private String api() {
    return "http://127.0.0.1:" + nodes.get(nodes.size() - 1).apiPort() + "/api/v1";
  }

  private JsonObject submit(JsonObject task) throws Exception {
    Answer a = Http.post(api() + "/tasks", task.encode(), "Content-Type", "application/json");
    assertTrue(a.status() == 202 || a.status() == 200, a.body());
    return a.json();
  }

  private JsonObject get(String id) throws Exception {
    return Http.get(api() + "/tasks/" + id).json();
  }

  private JsonObject await(String id, Predicate<JsonObject> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonObject t = get(id);
    while (!p.test(t)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("task never matched: " + t.encodePrettily());
      }
      Thread.sleep(20);
      t = get(id);
    }
    return t;
  }

  private JsonObject awaitState(String id, String state) throws Exception {
    return await(id, t -> state.equals(t.getString("state")));
  }

  private static JsonObject shell(String... argv) {
    return new JsonObject().put("type", "shell").put("payload", new JsonObject().put("command", new JsonArray(List.of(
        (Object[]) argv))));
  }

  private void awaitLeader() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (Http.get(api() + "/cluster").json().getJsonObject("leader") == null) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no leader");
      }
      Thread.sleep(20);
    }
  }

  /** Joins a simulated worker, waits until it is HEALTHY, and tracks it for cleanup. */
  private SimulatedWorker simulated(String name, String type, Behaviour behaviour) throws Exception {
    SimulatedWorker w = SimulatedWorker.join(cluster, members, name, List.of(type), behaviour);
    sims.add(w);
    awaitNode(name);
    return w;
  }

  /** Drains or undrains the real node, so that only simulated workers take new tasks meanwhile. */
  private void drainReal(boolean drain) throws Exception {
    assertEquals(200, Http.post(api() + "/nodes/real/" + (drain ? "drain" : "undrain"), "").status());
  }

  private void awaitNode(String name) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Http.get(api() + "/cluster").json().getJsonArray("nodes").stream().map(o -> (JsonObject) o)
        .anyMatch(n -> n.getString("name").equals(name) && n.getString("state").equals("HEALTHY"))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " never joined");
      }
      Thread.sleep(20);
    }
  }

  /** Verifies a task runs to COMPLETED with its result, and GET, list and attempts describe it. */
  @Test
  void echoCompletes() throws Exception {
    node("solo");
    awaitLeader();
    JsonObject submitted = submit(new JsonObject().put("type", "echo").put("payload", new JsonObject().put("n", 7)));
    assertEquals("PENDING", submitted.getString("state"));
    JsonObject done = awaitState(submitted.getString("id"), "COMPLETED");
    assertEquals(new JsonObject().put("n", 7), done.getJsonObject("result"));
    assertEquals(1, done.getInteger("attempts"));
    assertEquals("solo", done.getJsonObject("placement").getJsonObject("chosen").getString("name"));
    JsonObject attempt = Http.get(api() + "/tasks/" + done.getString("id") + "/attempts").json()
        .getJsonArray("attempts").getJsonObject(0);
    assertEquals("COMPLETED", attempt.getString("outcome"));
    assertTrue(attempt.containsKey("ackedAt") && attempt.containsKey("startedAt"), attempt.encode());
    JsonObject list = Http.get(api() + "/tasks?state=COMPLETED&type=echo").json();
    assertEquals(done.getString("id"), list.getJsonArray("tasks").getJsonObject(0).getString("id"));
    assertEquals("TASK_NOT_FOUND", Http.get(api() + "/tasks/nope").errorCode());
  }

  /** Verifies a repeated submit with the same idempotency key returns the first task with 200. */
  /**
   * Verifies a worker keeps reporting while the leader has not answered an earlier batch. The leader answers a
   * batch once it has stored it, a few ms later; with one batch at a time, one node ran at most about 2,500 noop
   * tasks a second with two-thirds of its CPU idle. Here the leader's event bus holds the first batch for a
   * second: later batches must reach it meanwhile, and every task still completes once, though the held batch
   * arrives after them.
   */
  @Test
  void reportsGoOutWhileAnEarlierBatchIsUnanswered() throws Exception {
    Node n = node("solo");
    awaitLeader();
    AtomicInteger stage = new AtomicInteger(); // 0 before the first batch, 1 while it is held, 2 after
    AtomicInteger duringHold = new AtomicInteger();
    Handler<DeliveryContext<Object>> hold = dc -> {
      if (!TaskAddresses.LEADER_RESULTS.equals(dc.message().address())) {
        dc.next();
      } else if (stage.compareAndSet(0, 1)) {
        n.vertx().setTimer(1_000, id -> {
          stage.set(2);
          dc.next();
        });
      } else {
        if (stage.get() == 1) {
          duringHold.incrementAndGet();
        }
        dc.next();
      }
    };
    n.vertx().eventBus().addInboundInterceptor(hold);
    try {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        ids.add(submit(new JsonObject().put("type", "echo").put("payload", new JsonObject().put("i", i)))
            .getString("id"));
      }
      for (String id : ids) {
        JsonObject t = awaitState(id, "COMPLETED");
        assertEquals(1, t.getJsonArray("attemptHistory").size(), t.encode());
      }
      assertEquals(2, stage.get(), "the first batch was released");
      assertTrue(duringHold.get() >= 1, "no report batch reached the leader while the first was held");
    } finally {
      n.vertx().eventBus().removeInboundInterceptor(hold);
    }
  }

  @Test
  void idempotentSubmit() throws Exception {
    node("solo");
    awaitLeader();
    JsonObject t = new JsonObject().put("type", "echo").put("idempotencyKey", "order-42");
    Answer first = Http.post(api() + "/tasks", t.encode(), "Content-Type", "application/json");
    Answer second = Http.post(api() + "/tasks", t.encode(), "Content-Type", "application/json");
    assertEquals(202, first.status());
    assertEquals(200, second.status());
    assertEquals(first.json().getString("id"), second.json().getString("id"));
    assertEquals(false, second.json().getBoolean("created"));
  }

  /**
   * Verifies a finished task leaves memory and the cluster map after the retention time, yet stays readable and
   * keeps its idempotency key.
   */
  @Test
  void finishedTasksAreEvictedButStillAnswer() throws Exception {
    Node n = node("solo", "TASK_RETENTION_MS", "1000");
    awaitLeader();
    JsonObject t = new JsonObject().put("type", "echo").put("idempotencyKey", "evict-me");
    String id = submit(t).getString("id");
    awaitState(id, "COMPLETED");
    var map = n.hazelcast().getMap(SchedulerVerticle.TASK_MAP);
    assertTrue(map.containsKey(id));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (map.containsKey(id)) {
      assertTrue(System.nanoTime() < deadline, "the finished task was never evicted from the map");
      Thread.sleep(50);
    }
    assertEquals("COMPLETED", get(id).getString("state"));
    Answer again = Http.post(api() + "/tasks", t.encode(), "Content-Type", "application/json");
    assertEquals(200, again.status(), again.body());
    assertEquals(id, again.json().getString("id"));
    assertEquals(false, again.json().getBoolean("created"));
    // A new key still creates a task.
    assertEquals(202, Http.post(api() + "/tasks", t.copy().put("idempotencyKey", "fresh").encode(),
        "Content-Type", "application/json").status());
  }

  /**
   * Verifies the retention count: beyond it the oldest finished tasks leave memory and the cluster map (long
   * before their retention time), yet every one stays readable.
   */
  @Test
  void finishedTasksBeyondTheRetentionCountAreEvicted() throws Exception {
    Node n = node("solo", "TASK_RETENTION_MAX", "2");
    awaitLeader();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(submit(new JsonObject().put("type", "echo")).getString("id"));
    }
    for (String id : ids) {
      awaitState(id, "COMPLETED");
    }
    var map = n.hazelcast().getMap(SchedulerVerticle.TASK_MAP);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (map.size() > 2) {
      assertTrue(System.nanoTime() < deadline, "finished tasks beyond the count stayed in the map: " + map.size());
      Thread.sleep(50);
    }
    assertFalse(map.containsKey(ids.get(0)), "the oldest finished task should have left first");
    for (String id : ids) {
      assertEquals("COMPLETED", get(id).getString("state"));
    }
  }

  /**
   * Verifies prefetch: with one slot and prefetch 2, the next task is handed to the worker while the first runs
   * (ASSIGNED, waiting there), starts as soon as the slot frees, and a waiting task can be cancelled.
   */
  @Test
  void prefetchedTasksWaitOnTheWorker() throws Exception {
    node("solo", "SLOTS", "1", "PREFETCH", "2");
    awaitLeader();
    String blocker = submit(shell("sleep", "1")).getString("id");
    awaitState(blocker, "RUNNING");
    String next = submit(new JsonObject().put("type", "echo")).getString("id");
    JsonObject waiting = awaitState(next, "ASSIGNED");
    assertEquals(1, waiting.getInteger("attempts"));
    String third = submit(new JsonObject().put("type", "echo")).getString("id");
    assertEquals("PENDING", get(third).getString("state")); // the worker holds slots × 2 = 2 at most
    JsonObject done = awaitState(next, "COMPLETED");
    Instant blockerEnd = Instant.parse(awaitState(blocker, "COMPLETED").getString("finishedAt"));
    Instant nextStart = Instant.parse(Http.get(api() + "/tasks/" + next + "/attempts").json()
        .getJsonArray("attempts").getJsonObject(0).getString("startedAt"));
    assertTrue(!nextStart.isBefore(blockerEnd.minusMillis(50)), "started " + nextStart + " before the slot freed "
        + blockerEnd);
    assertEquals(1, done.getInteger("attempts"));
    awaitState(third, "COMPLETED");
    // Cancel one that waits on the worker.
    String blocker2 = submit(shell("sleep", "1")).getString("id");
    awaitState(blocker2, "RUNNING");
    String victim = submit(new JsonObject().put("type", "echo")).getString("id");
    awaitState(victim, "ASSIGNED");
    assertEquals(200, Http.post(api() + "/tasks/" + victim + "/cancel", "").status());
    awaitState(victim, "CANCELLED");
    awaitState(blocker2, "COMPLETED");
    String after = submit(new JsonObject().put("type", "echo")).getString("id");
    awaitState(after, "COMPLETED"); // the cancelled one's place was freed
  }

  /** Verifies bad input on the REST door gets the documented error and creates nothing. */
  @Test
  void invalidInput() throws Exception {
    node("solo");
    awaitLeader();
    String url = api() + "/tasks";
    assertEquals("INVALID_JSON", Http.post(url, "{nope", "Content-Type", "application/json").errorCode());
    Answer neg = Http.post(url, "{\"type\":\"echo\",\"priority\":-1}", "Content-Type", "application/json");
    assertEquals(400, neg.status());
    assertEquals("INVALID_TASK", neg.errorCode());
    assertTrue(neg.body().contains("'priority'"), neg.body());
    assertEquals("INVALID_TASK", Http.post(url, "{\"payload\":{}}", "Content-Type", "application/json").errorCode());
    assertEquals("INVALID_TASK", Http.post(url, "{\"type\":\"echo\",\"colour\":1}", "Content-Type",
        "application/json").errorCode());
    Answer huge = Http.post(url, new JsonObject().put("type", "echo").put("payload", new JsonObject()
        .put("blob", "x".repeat(2 * 1024 * 1024))).encode(), "Content-Type", "application/json");
    assertEquals(413, huge.status());
    assertEquals("PAYLOAD_TOO_LARGE", huge.errorCode());
    assertEquals("TASK_NOT_FOUND", Http.post(api() + "/tasks/nope/cancel", "").errorCode());
    assertEquals(0, Http.get(url).json().getJsonArray("tasks").size(), "nothing was created");
  }

  /**
   * Verifies the batch route: every task answered in order, a bad task and a repeated idempotency key answered
   * on their own while the others are stored and run; a malformed batch refused whole, with nothing created.
   */
  @Test
  void batchSubmit() throws Exception {
    node("solo");
    awaitLeader();
    String url = api() + "/tasks/batch";
    submit(new JsonObject().put("type", "echo").put("idempotencyKey", "seen-before"));
    JsonArray batch = new JsonArray()
        .add(new JsonObject().put("type", "echo").put("payload", new JsonObject().put("n", 0)))
        .add(new JsonObject().put("type", "echo").put("colour", "red"))
        .add(new JsonObject().put("type", "echo").put("idempotencyKey", "seen-before"))
        .add("not a task")
        .add(new JsonObject().put("type", "echo").put("payload", new JsonObject().put("n", 4)));
    Answer a = Http.post(url, new JsonObject().put("tasks", batch).encode(), "Content-Type", "application/json");
    assertEquals(200, a.status(), a.body());
    JsonArray out = a.json().getJsonArray("tasks");
    assertEquals(5, out.size());
    assertEquals("INVALID_TASK", out.getJsonObject(1).getJsonObject("error").getString("code"));
    assertTrue(out.getJsonObject(1).getJsonObject("error").getString("message").contains("colour"));
    assertEquals(false, out.getJsonObject(2).getBoolean("created"), "the key's earlier task");
    assertEquals("INVALID_TASK", out.getJsonObject(3).getJsonObject("error").getString("code"));
    for (int i : new int[] {0, 4}) {
      assertEquals(true, out.getJsonObject(i).getBoolean("created"));
      JsonObject done = awaitState(out.getJsonObject(i).getString("id"), "COMPLETED");
      assertEquals(i, done.getJsonObject("result").getInteger("n"));
    }
    int before = Http.get(api() + "/tasks").json().getJsonArray("tasks").size();
    assertEquals("INVALID_BATCH", Http.post(url, "{\"tasks\":[]}", "Content-Type", "application/json").errorCode());
    assertEquals("INVALID_BATCH", Http.post(url, "{\"task\":{}}", "Content-Type", "application/json").errorCode());
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 1001; i++) {
      tooMany.add(new JsonObject().put("type", "echo"));
    }
    assertEquals("INVALID_BATCH", Http.post(url, new JsonObject().put("tasks", tooMany).encode(), "Content-Type",
        "application/json").errorCode());
    assertEquals(before, Http.get(api() + "/tasks").json().getJsonArray("tasks").size(), "nothing was created");
  }

  /** Verifies higher priority runs first on a worker with one slot. */
  @Test
  void priorityOrderOnOneSlot() throws Exception {
    node("solo", "SLOTS", "1", "PREFETCH", "1"); // nothing waits on the worker: the leader's queue decides

    awaitLeader();
    JsonObject blocker = submit(shell("sleep", "0.5"));
    awaitState(blocker.getString("id"), "RUNNING");
    String low1 = submit(new JsonObject().put("type", "echo").put("priority", 1)).getString("id");
    String low2 = submit(new JsonObject().put("type", "echo").put("priority", 1)).getString("id");
    String high = submit(new JsonObject().put("type", "echo").put("priority", 9)).getString("id");
    Instant h = Instant.parse(awaitState(high, "COMPLETED").getString("finishedAt"));
    Instant l1 = Instant.parse(awaitState(low1, "COMPLETED").getString("finishedAt"));
    Instant l2 = Instant.parse(awaitState(low2, "COMPLETED").getString("finishedAt"));
    assertTrue(h.isBefore(l1) && !l1.isAfter(l2), "high " + h + ", low " + l1 + ", " + l2);
  }

  /** Verifies capability routing, and a task no node can run stays PENDING with the reason. */
  @Test
  void capabilityRouting() throws Exception {
    node("plain");
    Node gpu = node("gpu-box", "CAPABILITIES", "gpu");
    awaitLeader();
    awaitNode("gpu-box");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      ids.add(submit(new JsonObject().put("type", "echo").put("requiredCapabilities", new JsonArray().add("gpu")))
          .getString("id"));
    }
    for (String id : ids) {
      assertEquals(gpu.context().id(), awaitState(id, "COMPLETED").getString("nodeId"));
    }
    String tpu = submit(new JsonObject().put("type", "echo").put("requiredCapabilities", new JsonArray().add("tpu")))
        .getString("id");
    JsonObject waiting = await(tpu, t -> t.getString("reason", "").contains("capabilit"));
    assertEquals("PENDING", waiting.getString("state"));
    assertTrue(waiting.getString("reason").contains("[tpu]"), waiting.getString("reason"));
  }

  /** Verifies the start-to-close timeout fails attempts, retries, and ends FAILED with every attempt's error. */
  @Test
  void startToCloseTimeoutAndMaxAttempts() throws Exception {
    node("solo");
    awaitLeader();
    JsonObject t = shell("sleep", "30").put("timeoutMs", 300).put("maxAttempts", 2);
    JsonObject failed = awaitState(submit(t).getString("id"), "FAILED");
    assertEquals(2, failed.getInteger("attempts"));
    JsonArray history = failed.getJsonObject("error").getJsonArray("attempts");
    assertEquals(2, history.size());
    for (Object o : history) {
      assertEquals("FAILED", ((JsonObject) o).getString("outcome"));
      assertEquals("TIMEOUT", ((JsonObject) o).getJsonObject("error").getString("code"));
    }
  }

  /** Verifies a worker that never acknowledges: the attempt counts, and the task completes elsewhere. */
  @Test
  void ackTimeoutRetriesOnAnotherNode() throws Exception {
    node("real");
    awaitLeader();
    SimulatedWorker mute = simulated("mute", "echo", Behaviour.NO_ACK);
    // Only the mute worker can take new work while the real node is drained.
    drainReal(true);
    String id = submit(new JsonObject().put("type", "echo").put("ackTimeoutMs", 300)).getString("id");
    await(id, t -> t.getInteger("attempts") >= 1 && !mute.assigned.isEmpty());
    drainReal(false);
    JsonObject done = awaitState(id, "COMPLETED");
    assertTrue(done.getInteger("attempts") >= 2);
    assertNotEquals(mute.id, done.getString("nodeId"));
    JsonObject first = done.getJsonArray("attemptHistory").getJsonObject(0);
    assertEquals("ACK_TIMEOUT", first.getJsonObject("error").getString("code"));
  }

  /** Verifies a failed attempt is retried, preferring another node than the one that failed. */
  @Test
  void retryPrefersAnotherNode() throws Exception {
    node("real");
    awaitLeader();
    SimulatedWorker bad = simulated("bad", "echo", Behaviour.FAIL);
    drainReal(true);
    String id = submit(new JsonObject().put("type", "echo")).getString("id");
    await(id, t -> !bad.assigned.isEmpty() && t.getInteger("attempts") >= 1);
    drainReal(false);
    JsonObject done = awaitState(id, "COMPLETED");
    assertNotEquals(bad.id, done.getString("nodeId"), "the retry went to the other node");
    assertEquals("SIMULATED", done.getJsonArray("attemptHistory").getJsonObject(0).getJsonObject("error")
        .getString("code"));
  }

  /** Verifies a worker that leaves mid-task: its tasks are retried and complete on another node. */
  @Test
  void lostWorkerTasksCompleteElsewhere() throws Exception {
    node("real");
    awaitLeader();
    SimulatedWorker holder = simulated("holder", "echo", Behaviour.ACK_ONLY);
    drainReal(true);
    String id = submit(new JsonObject().put("type", "echo")).getString("id");
    // The worker has the task: assigned and acknowledged (else its loss would be an ACK timeout).
    await(id, t -> "ASSIGNED".equals(t.getString("state")) && t.getJsonArray("attemptHistory").size() == 1
        && t.getJsonArray("attemptHistory").getJsonObject(0).containsKey("ackedAt"));
    drainReal(false);
    sims.remove(holder);
    holder.close();
    JsonObject done = awaitState(id, "COMPLETED");
    assertEquals("WORKER_LOST", done.getJsonArray("attemptHistory").getJsonObject(0).getJsonObject("error")
        .getString("code"));
  }

  /**
   * Verifies a new leader takes over an assignment the old one made: assignments are not stored, so the task's
   * record still says PENDING when the leader stops; the worker that holds the attempt tells the new leader,
   * which keeps it there (ASSIGNED, the same attempt) instead of handing it out again, and the worker's result
   * completes it with one attempt.
   */
  @Test
  void newLeaderTakesOverUnstoredAssignments() throws Exception {
    Node first = node("first");
    awaitLeader();
    Node second = node("second");
    SimulatedWorker holder = simulated("holder", "held", Behaviour.ACK_ONLY);
    String id = submit(new JsonObject().put("type", "held")).getString("id");
    await(id, t -> "ASSIGNED".equals(t.getString("state"))
        && t.getJsonArray("attemptHistory").getJsonObject(0).containsKey("ackedAt"));
    String leaderName = Http.get(api() + "/cluster").json().getJsonObject("leader").getString("name");
    Node leader = "first".equals(leaderName) ? first : second;
    nodes.remove(leader);
    TestNodes.stop(leader); // api() now asks the survivor, which takes over

    JsonObject taken = await(id, t -> "ASSIGNED".equals(t.getString("state"))
        && String.valueOf(t.getString("reason")).contains("earlier leader"));
    assertEquals(1, taken.getInteger("attempts"));
    assertEquals(holder.id, taken.getString("nodeId"));
    holder.completeHeld();
    JsonObject done = awaitState(id, "COMPLETED");
    assertEquals(1, done.getInteger("attempts"));
    assertEquals(new JsonObject().put("simulated", true), done.getJsonObject("result"));
    assertEquals(List.of(id), holder.assigned, "the attempt was handed out once");
  }

  /**
   * Verifies a worker's report is answered only once the change it makes is stored: when the answer comes, the
   * task map holds the task COMPLETED. Answered before, a report lost with its leader (taken, not yet stored)
   * made the next leader retry a finished attempt as WORKER_LOST.
   */
  @Test
  void reportsAreAnsweredOnceStored() throws Exception {
    Node first = node("first");
    awaitLeader();
    SimulatedWorker holder = simulated("holder", "held", Behaviour.ACK_ONLY);
    String id = submit(new JsonObject().put("type", "held")).getString("id");
    await(id, t -> "ASSIGNED".equals(t.getString("state"))
        && t.getJsonArray("attemptHistory").getJsonObject(0).containsKey("ackedAt"));
    JsonObject answer = holder.completeHeld().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(true, answer.getBoolean("ok"));
    Object stored = first.hazelcast().getMap(SchedulerVerticle.TASK_MAP).get(id);
    assertEquals("COMPLETED", new JsonObject(String.valueOf(stored)).getString("state"), String.valueOf(stored));
  }

  /**
   * Verifies a worker counts an attempt as held until a leader confirmed its end stored: asked what it runs (as a
   * new leader asks at takeover) while the report of the ended attempt waits for its answer, it lists the attempt,
   * so that the new leader waits for the report instead of retrying a finished attempt as lost.
   */
  @Test
  void anEndedAttemptWhoseReportIsUnansweredIsStillHeld() throws Exception {
    Node first = node("first");
    awaitLeader();
    String id = submit(shell("sleep", "0.5")).getString("id");
    awaitState(id, "RUNNING");
    try (Connection lock = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("first")
        .resolve(akita.node.storage.Database.FILE_NAME))) {
      try (Statement st = lock.createStatement()) {
        st.execute("PRAGMA busy_timeout = 5000");
        st.execute("BEGIN IMMEDIATE"); // the leader's flushes wait: its answer to the worker's report waits too
      }
      awaitState(id, "COMPLETED"); // applied in the leader's memory, not stored
      JsonObject cluster = Http.get(api() + "/cluster").json();
      JsonObject held = first.vertx().eventBus().<JsonObject>request(TaskAddresses.running(first.context().id()),
              new JsonObject().put("term", cluster.getLong("term")))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
      assertEquals(new JsonArray().add(new JsonObject().put("id", id).put("attempt", 1)), held.getJsonArray("running"));
      try (Statement st = lock.createStatement()) {
        st.execute("ROLLBACK");
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonObject cluster = Http.get(api() + "/cluster").json();
    while (!first.vertx().eventBus().<JsonObject>request(TaskAddresses.running(first.context().id()),
            new JsonObject().put("term", cluster.getLong("term")))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body().getJsonArray("running")
        .isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "the ended attempt stayed held after its report was stored");
      Thread.sleep(20);
    }
  }

  /**
   * Verifies a record merged in beside another with the same idempotency key (what a healed partition brings from
   * a cut-off leader) is cancelled as a DUPLICATE when a leader takes over, and the key keeps answering with the
   * task of the higher term.
   */
  @Test
  void aMergedDuplicateOfAnIdempotencyKeyIsCancelledAtTakeOver() throws Exception {
    Node first = node("first");
    awaitLeader();
    Node second = node("second");
    JsonObject request = new JsonObject().put("type", "nobody-runs-this").put("idempotencyKey", "once");
    String id = submit(request).getString("id");
    IMap<String, String> map = first.hazelcast().getMap(SchedulerVerticle.TASK_MAP);
    JsonObject stored = new JsonObject(map.get(id));
    String merged = "merged-" + id;
    map.put(merged, stored.copy().put("id", merged).put("term", stored.getLong("term") - 1).encode());
    String leaderName = Http.get(api() + "/cluster").json().getJsonObject("leader").getString("name");
    Node leader = "first".equals(leaderName) ? first : second;
    nodes.remove(leader);
    TestNodes.stop(leader); // the survivor takes over and loads both records

    JsonObject duplicate = awaitState(merged, "CANCELLED");
    assertEquals("DUPLICATE", duplicate.getJsonObject("error").getString("code"));
    assertEquals(0, duplicate.getInteger("attempts", 0));
    assertEquals("PENDING", get(id).getString("state"));
    assertEquals(id, submit(request).getString("id"), "the key still answers with the task the cluster kept");
  }

  /** Verifies cancellation in PENDING, ASSIGNED and RUNNING (the process dies), and of a finished task. */
  @Test
  void cancellation() throws Exception {
    node("real");
    awaitLeader();
    String pending = submit(new JsonObject().put("type", "nobody-runs-this")).getString("id");
    assertEquals("CANCELLED", Http.post(api() + "/tasks/" + pending + "/cancel", "").json().getString("state"));

    String running = submit(shell("sleep", "30")).getString("id");
    awaitState(running, "RUNNING");
    assertEquals("CANCELLED", Http.post(api() + "/tasks/" + running + "/cancel", "{\"reason\":\"enough\"}",
        "Content-Type", "application/json").json().getString("state"));
    JsonObject cancelled = get(running);
    assertEquals("enough", cancelled.getJsonObject("error").getString("message"));
    assertEquals("TASK_FINISHED", Http.post(api() + "/tasks/" + running + "/cancel", "").errorCode());

    SimulatedWorker holder = simulated("holder", "held", Behaviour.ACK_ONLY);
    String assigned = submit(new JsonObject().put("type", "held")).getString("id");
    awaitState(assigned, "ASSIGNED");
    assertEquals("CANCELLED", Http.post(api() + "/tasks/" + assigned + "/cancel", "").json().getString("state"));
  }

  /** Verifies a node failing many different tasks is quarantined, visibly in the cluster view. */
  @Test
  void failingNodeIsQuarantined() throws Exception {
    node("real");
    awaitLeader();
    SimulatedWorker bad = simulated("bad", "echo", Behaviour.FAIL);
    drainReal(true);
    List<String> ids = new ArrayList<>();
    // Seven different tasks failing there within a minute bring its success ratio under one half.
    for (int i = 0; i < 7; i++) {
      ids.add(submit(new JsonObject().put("type", "echo").put("maxAttempts", 1)).getString("id"));
    }
    for (String id : ids) {
      awaitState(id, "FAILED");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonObject view = null;
    while (System.nanoTime() < deadline) {
      view = Http.get(api() + "/nodes/bad").json();
      if (view.getString("quarantinedUntil") != null) {
        break;
      }
      Thread.sleep(50);
    }
    assertTrue(view != null && view.getString("quarantinedUntil") != null, "quarantined: " + view);
    // New work avoids it: with the real node back, the next task runs there.
    drainReal(false);
    String next = submit(new JsonObject().put("type", "echo")).getString("id");
    assertNotEquals(bad.id, awaitState(next, "COMPLETED").getString("nodeId"));
  }

  /** Verifies a task waiting for its retry (RETRYING) can be cancelled. */
  @Test
  void cancelWhileRetrying() throws Exception {
    node("real");
    awaitLeader();
    JsonObject t = shell("false").put("maxAttempts", 5);
    String id = submit(t).getString("id");
    awaitState(id, "RETRYING");
    JsonObject cancelled = Http.post(api() + "/tasks/" + id + "/cancel", "").json();
    assertEquals("CANCELLED", cancelled.getString("state"), cancelled.encode());
    Thread.sleep(500);
    assertEquals("CANCELLED", get(id).getString("state"), "the retry timer does not revive it");
  }

  /** Verifies a delayed start waits for notBefore, and a deadline fails a task that could not start. */
  @Test
  void notBeforeAndDeadline() throws Exception {
    node("solo");
    awaitLeader();
    long notBefore = System.currentTimeMillis() + 800;
    String delayed = submit(new JsonObject().put("type", "echo").put("notBefore", notBefore)).getString("id");
    JsonObject done = awaitState(delayed, "COMPLETED");
    Instant started = Instant.parse(done.getJsonArray("attemptHistory").getJsonObject(0).getString("assignedAt"));
    assertTrue(!started.isBefore(Instant.ofEpochMilli(notBefore)), "assigned at " + started);

    String late = submit(new JsonObject().put("type", "nobody-runs-this")
        .put("deadline", System.currentTimeMillis() + 300)).getString("id");
    JsonObject failed = awaitState(late, "FAILED");
    assertEquals("DEADLINE_EXCEEDED", failed.getJsonObject("error").getString("code"));
  }
}
