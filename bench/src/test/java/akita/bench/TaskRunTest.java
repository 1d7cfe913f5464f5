package akita.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The pacing and accounting of {@link TaskRun}, against a door that stands in for a cluster in the same
 * Vert.x: it accepts each task and, a moment later, sends the ended task to the task's notify address as the
 * leader does ({@code {"tasks": [task]}}).
 */
@ExtendWith(VertxExtension.class)
class TaskRunTest {

  private Vertx vertx;
  private Context submit;
  private Context done;

  @BeforeEach
  void contexts(Vertx vertx) throws Exception {
    this.vertx = vertx;
    this.submit = Bench.newContext(vertx);
    this.done = Bench.newContext(vertx);
  }

  /** A stand-in cluster: what it does with the n-th submit (from 0) is up to the test. */
  private final class FakeDoor implements Door {
    final AtomicInteger submits = new AtomicInteger();
    int failEvery;
    int loseEvery;
    int notifyTwiceEvery;
    /** Submits from this one (inclusive) to {@link #stallTo} end {@link #stallMs} late: a stall of the cluster. */
    int stallFrom = -1;
    int stallTo = -1;
    long stallMs;
    int maxInFlightSeen;
    private int inFlight;

    @Override
    public Future<Void> submit(JsonObject task) {
      int n = submits.getAndIncrement();
      if (failEvery > 0 && n % failEvery == failEvery - 1) {
        return Future.failedFuture("503 NO_LEADER");
      }
      maxInFlightSeen = Math.max(maxInFlightSeen, ++inFlight);
      long delay = n >= stallFrom && n < stallTo ? stallMs : 1;
      String submittedAt = Instant.now().toString();
      return Future.<Void>future(p -> vertx.setTimer(delay, t -> {
        inFlight--;
        p.complete();
        if (loseEvery > 0 && n % loseEvery == loseEvery - 1) {
          return;
        }
        String now = Instant.now().toString();
        JsonObject ended = task.copy().put("state", "COMPLETED").put("submittedAt", submittedAt)
            .put("finishedAt", now).put("attemptHistory", new JsonArray().add(new JsonObject()
                .put("assignedAt", now).put("ackedAt", now).put("startedAt", now)));
        JsonObject batch = new JsonObject().put("tasks", new JsonArray().add(ended));
        vertx.eventBus().send(task.getString("notify"), batch);
        if (notifyTwiceEvery > 0 && n % notifyTwiceEvery == 0) {
          vertx.eventBus().send(task.getString("notify"), batch);
        }
      }));
    }

    @Override
    public Future<Void> close() {
      return Future.succeededFuture();
    }
  }

  private JsonObject run(Door door, int tasks, TaskRun.Pacing pacing, long timeoutMs, boolean startTimes)
      throws Exception {
    return TaskRun.run(vertx, submit, done, door, "noop", tasks, pacing, timeoutMs, startTimes)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Verifies that a closed-loop run sees every task end, keeps at most its window in flight, and counts right. */
  @Test
  void closedLoopCountsEveryTaskAndKeepsTheWindow() throws Exception {
    FakeDoor door = new FakeDoor();
    JsonObject r = run(door, 500, TaskRun.Pacing.closed(16), 10_000, false);
    assertTrue(r.getBoolean("ok"), r.encodePrettily());
    assertEquals(500, r.getInteger("completed"));
    assertEquals(500, r.getInteger("accepted"));
    assertEquals(0, r.getInteger("errors"));
    assertTrue(door.maxInFlightSeen <= 16, "in flight: " + door.maxInFlightSeen);
    assertTrue(r.getDouble("tasksPerSecond") > 0);
    JsonObject l = r.getJsonObject("latencyMs");
    assertTrue(l.getDouble("p50") > 0 && l.getDouble("p50") <= l.getDouble("p99")
        && l.getDouble("p99") <= l.getDouble("max"), l.encode());
    assertEquals(16, r.getInteger("window"));
  }

  /**
   * Verifies that an open-loop run keeps its schedule: it takes as long as the rate says (a closed loop would
   * finish far sooner), however fast the cluster answers, and reports start latencies and send lag.
   */
  @Test
  void openLoopSendsOnSchedule() throws Exception {
    JsonObject r = run(new FakeDoor(), 300, TaskRun.Pacing.open(600), 10_000, true);
    assertTrue(r.getBoolean("ok"), r.encodePrettily());
    assertEquals(300, r.getInteger("completed"));
    // 300 tasks at 600/s: the last is due at 299/600 s = 498 ms after the first.
    assertTrue(r.getLong("durationMs") >= 498 && r.getLong("durationMs") < 5_000, r.encode());
    assertTrue(r.getDouble("submitPerSecond") <= 620, r.encode());
    assertEquals(600.0, r.getDouble("offeredPerSecond"));
    assertEquals(300, r.getJsonObject("startLatencyMs").getLong("count"));
    assertTrue(r.containsKey("rateHeld") && r.getJsonObject("sendLagMs").containsKey("p99"), r.encode());
  }

  /**
   * Verifies that an open-loop run says where its slowest tasks were submitted: a stall of 10 tasks (2 % of the
   * run, so the p99 is one of them) falls in one window of 100 ms, which holds all the tasks over the p99; and in
   * which stage they waited.
   */
  @Test
  void openLoopFindsTheWindowOfAStall() throws Exception {
    FakeDoor door = new FakeDoor();
    door.stallFrom = 250;
    door.stallTo = 260;
    door.stallMs = 150;
    JsonObject r = run(door, 500, TaskRun.Pacing.open(1_000), 10_000, true);
    assertTrue(r.getBoolean("ok"), r.encodePrettily());
    JsonObject slowest = r.getJsonObject("slowest");
    assertEquals(100, slowest.getLong("windowMs"));
    // Those over the p99: some of the ten stalled ones (the p99 itself is one of them), and no other.
    assertTrue(slowest.getInteger("tasks") >= 1 && slowest.getInteger("tasks") <= 10, slowest.encode());
    assertEquals(1, slowest.getInteger("windows"), slowest.encode());
    assertEquals(1, slowest.getInteger("windowsWithHalf"), slowest.encode());
    JsonObject worst = slowest.getJsonArray("worst").getJsonObject(0);
    assertEquals(200, worst.getLong("atMs"), slowest.encode()); // tasks 250–259 are due 250–259 ms in
    assertTrue(worst.getDouble("maxMs") >= 150, slowest.encode());
    Instant.parse(worst.getString("at"));
    // The stages say where the time went: the stand-in held the stalled tasks between submit and assignment.
    JsonObject all = slowest.getJsonObject("stagesMs").getJsonObject("all");
    JsonObject slow = slowest.getJsonObject("stagesMs").getJsonObject("slowest");
    assertEquals(500, all.getInteger("count"), all.encode());
    assertEquals(slowest.getInteger("tasks"), slow.getInteger("count"), slow.encode());
    assertTrue(slow.getDouble("queued") >= 140 && all.getDouble("queued") < 50, slowest.encode());
    assertTrue(slow.getDouble("toClient") < 50 && slow.getDouble("toWorker") < 50, slowest.encode());
  }

  /** Verifies when a rate counts as held: everything ended, sent on time, and ended at 95 % of the rate. */
  @Test
  void rateHeldNeedsEveryTaskOnTimeAndTheRate() {
    assertTrue(TaskRun.rateHeld(1_000, 1_000, 0, 2.0, 990, 1_000));
    assertFalse(TaskRun.rateHeld(1_000, 999, 0, 2.0, 990, 1_000), "a task did not end");
    assertFalse(TaskRun.rateHeld(1_000, 1_000, 1, 2.0, 990, 1_000), "a submit failed");
    assertFalse(TaskRun.rateHeld(1_000, 1_000, 0, 10.5, 990, 1_000), "the client sent late");
    assertFalse(TaskRun.rateHeld(1_000, 1_000, 0, 2.0, 940, 1_000), "the cluster fell behind");
  }

  /** Verifies that failed submits are counted, lower the number of ends awaited, and fail the run. */
  @Test
  void failedSubmitsAreCountedAndFailTheRun() throws Exception {
    FakeDoor door = new FakeDoor();
    door.failEvery = 10;
    JsonObject r = run(door, 200, TaskRun.Pacing.closed(8), 10_000, false);
    assertFalse(r.getBoolean("ok"));
    assertEquals(20, r.getInteger("errors"));
    assertEquals(180, r.getInteger("completed"));
    assertTrue(r.getString("error").contains("20 submits failed") && r.getString("error").contains("NO_LEADER"),
        r.getString("error"));
  }

  /** Verifies that a run whose ends do not all arrive gives up at its timeout and says so. */
  @Test
  void lostEndsEndTheRunAtItsTimeout() throws Exception {
    FakeDoor door = new FakeDoor();
    door.loseEvery = 50;
    JsonObject r = run(door, 100, TaskRun.Pacing.closed(10), 1_000, false);
    assertFalse(r.getBoolean("ok"));
    assertEquals(98, r.getInteger("completed"));
    assertTrue(r.getString("error").contains("did not finish within 1000 ms"), r.getString("error"));
  }

  /** Verifies that a task reported twice is counted once. */
  @Test
  void repeatedReportsAreCountedOnce() throws Exception {
    FakeDoor door = new FakeDoor();
    door.notifyTwiceEvery = 5;
    JsonObject r = run(door, 100, TaskRun.Pacing.closed(10), 10_000, false);
    assertTrue(r.getBoolean("ok"), r.encodePrettily());
    assertEquals(100, r.getInteger("completed"));
    assertTrue(r.getInteger("duplicates") > 0 && r.getInteger("duplicates") <= 20, r.encode());
  }

  /** Verifies that a submit-only run returns once every submit is answered, with no notify address set. */
  @Test
  void submitOnlyDoesNotWaitForEnds() throws Exception {
    AtomicInteger withNotify = new AtomicInteger();
    Door door = new Door() {
      @Override
      public Future<Void> submit(JsonObject task) {
        if (task.containsKey("notify")) {
          withNotify.incrementAndGet();
        }
        return Future.succeededFuture();
      }

      @Override
      public Future<Void> close() {
        return Future.succeededFuture();
      }
    };
    JsonObject r = TaskRun.submitOnly(vertx, submit, door, "noop", 1_000, 32, 10_000).toCompletionStage()
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(r.getBoolean("ok"), r.encodePrettily());
    assertEquals(1_000, r.getInteger("accepted"));
    assertEquals(0, withNotify.get());
    assertTrue(r.getDouble("submitPerSecond") > 0);
  }
}
