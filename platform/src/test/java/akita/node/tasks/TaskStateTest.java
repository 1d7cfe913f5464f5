package akita.node.tasks;

import static akita.node.tasks.TaskState.ASSIGNED;
import static akita.node.tasks.TaskState.CANCELLED;
import static akita.node.tasks.TaskState.COMPLETED;
import static akita.node.tasks.TaskState.FAILED;
import static akita.node.tasks.TaskState.PENDING;
import static akita.node.tasks.TaskState.RETRYING;
import static akita.node.tasks.TaskState.RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The state machine's table, {@link Task#moveTo} honouring it, and a task's JSON round trip. */
class TaskStateTest {

  /** The transitions the design allows; everything else must be refused. */
  private static final Map<TaskState, Set<TaskState>> ALLOWED = Map.of(
      PENDING, EnumSet.of(ASSIGNED, FAILED, CANCELLED),
      ASSIGNED, EnumSet.of(RUNNING, PENDING, RETRYING, COMPLETED, FAILED, CANCELLED),
      RUNNING, EnumSet.of(COMPLETED, RETRYING, FAILED, CANCELLED),
      RETRYING, EnumSet.of(PENDING, COMPLETED, FAILED, CANCELLED),
      COMPLETED, EnumSet.noneOf(TaskState.class),
      FAILED, EnumSet.noneOf(TaskState.class),
      CANCELLED, EnumSet.noneOf(TaskState.class));

  private static final long T0 = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli();

  private static Task task() {
    return new Task("t-1", TaskSpec.fromJson(new JsonObject().put("type", "echo"), TaskSpec.Limits.DEFAULT, "me"),
        T0, 1, 3);
  }

  @Test
  void theTable() {
    for (TaskState from : TaskState.values()) {
      assertEquals(ALLOWED.get(from), from.next(), "next() of " + from);
      for (TaskState to : TaskState.values()) {
        assertEquals(ALLOWED.get(from).contains(to), from.canMoveTo(to), from + " -> " + to);
      }
    }
  }

  @Test
  void terminalStatesHaveNoWayOut() {
    for (TaskState s : TaskState.values()) {
      boolean terminal = s == COMPLETED || s == FAILED || s == CANCELLED;
      assertEquals(terminal, s.terminal(), s.name());
      if (terminal) {
        assertTrue(s.next().isEmpty(), s + " has no next state");
      }
    }
  }

  @Test
  void noStateMovesToItself() {
    for (TaskState s : TaskState.values()) {
      assertFalse(s.canMoveTo(s), s.name());
    }
  }

  @Test
  void pendingMustBeAssignedFirst() {
    assertFalse(PENDING.canMoveTo(RUNNING));
    assertFalse(PENDING.canMoveTo(COMPLETED));
    assertFalse(PENDING.canMoveTo(RETRYING));
    assertFalse(RETRYING.canMoveTo(ASSIGNED));
    assertFalse(RETRYING.canMoveTo(RUNNING));
    assertTrue(RETRYING.canMoveTo(COMPLETED), "a given-up attempt may still report success");
    assertFalse(RUNNING.canMoveTo(PENDING));
    assertFalse(RUNNING.canMoveTo(ASSIGNED));
  }

  @Test
  void nextIsACopy() {
    PENDING.next().clear();
    assertTrue(PENDING.canMoveTo(ASSIGNED));
  }

  @Test
  void moveToRefusesAnIllegalTransitionAndChangesNothing() {
    Task t = task();
    assertEquals(PENDING, t.state());
    assertEquals(1, t.version());
    assertEquals(3, t.term());
    JsonObject before = t.toJson();

    assertFalse(t.moveTo(RUNNING, 9, "skip the queue", T0 + 10));
    assertFalse(t.moveTo(COMPLETED, 9, "skip everything", T0 + 10));
    assertEquals(PENDING, t.state());
    assertEquals(1, t.version());
    assertEquals(3, t.term(), "a refused move stamps no term");
    assertEquals(before, t.toJson(), "a refused move changes nothing");
  }

  @Test
  void moveToAppliesAndStampsTheTerm() {
    Task t = task();
    assertTrue(t.moveTo(ASSIGNED, 4, "assigned to a", T0 + 10));
    assertEquals(ASSIGNED, t.state());
    assertEquals(4, t.term());
    assertEquals(2, t.version());
    assertEquals("assigned to a", t.reason());
    assertNull(t.toJson().getString("finishedAt"));
    assertTrue(t.moveTo(RUNNING, 5, "running", T0 + 20));
    assertEquals(5, t.term());
    assertEquals(3, t.version());
    assertTrue(t.moveTo(COMPLETED, 5, "done", T0 + 30));
    JsonObject json = t.toJson();
    assertEquals(Instant.ofEpochMilli(T0 + 30).toString(), json.getString("finishedAt"));
    assertEquals(Instant.ofEpochMilli(T0 + 30).toString(), json.getString("updatedAt"));

    // A terminal task never changes again.
    for (TaskState s : TaskState.values()) {
      assertFalse(t.moveTo(s, 6, "again", T0 + 40), "COMPLETED -> " + s);
    }
    assertEquals(COMPLETED, t.state());
    assertEquals(4, t.version());
    assertEquals(5, t.term());
    assertEquals(json, t.toJson());
  }

  @Test
  void roundTripWithAttemptHistory() {
    TaskSpec spec = TaskSpec.fromJson(new JsonObject().put("type", "shell").put("payload",
        new JsonObject().put("cmd", "true")).put("priority", 9).put("maxAttempts", 4).put("idempotencyKey", "k")
        .put("requiredCapabilities", new JsonArray().add("gpu")).put("labels", new JsonObject().put("a", "b"))
        .put("notBefore", T0 + 5).put("deadline", T0 + 1_000_000), TaskSpec.Limits.DEFAULT, "me");
    Task t = new Task("t-2", spec, T0, 17, 2);
    assertEquals(T0 + 5, t.readyAt());

    // Attempt 1 on node a: acked, started, failed.
    t.assign("node-a", "alpha", new JsonObject().put("chosen", new JsonObject().put("nodeId", "node-a")), 2, T0 + 10);
    assertTrue(t.moveTo(ASSIGNED, 2, "assigned to alpha", T0 + 10));
    t.attemptEvent("ackedAt", T0 + 11);
    t.attemptEvent("startedAt", T0 + 12);
    assertTrue(t.moveTo(RUNNING, 2, "running on node-a", T0 + 12));
    t.endAttempt("FAILED", new JsonObject().put("code", "EXECUTION_FAILED").put("message", "boom"), T0 + 20);
    assertTrue(t.moveTo(RETRYING, 2, "retry", T0 + 20));
    t.readyAt(T0 + 220);
    assertTrue(t.moveTo(PENDING, 2, "waiting", T0 + 220));
    // Attempt 2 on node b: completed.
    t.assign("node-b", "beta", new JsonObject().put("chosen", new JsonObject().put("nodeId", "node-b")), 3, T0 + 230);
    assertTrue(t.moveTo(ASSIGNED, 3, "assigned to beta", T0 + 230));
    t.progress(new JsonObject().put("percent", 50));
    t.endAttempt("COMPLETED", null, T0 + 240);
    t.result(new JsonObject().put("exit", 0));
    assertTrue(t.moveTo(COMPLETED, 3, "completed on node-b", T0 + 240));

    assertEquals(2, t.attempt());
    assertEquals(Set.of("node-a"), t.failedOn(), "only the failed attempt's node is remembered");
    JsonObject json = t.toJson();
    JsonArray history = json.getJsonArray("attemptHistory");
    assertEquals(2, history.size());
    JsonObject first = history.getJsonObject(0);
    assertEquals(1, first.getInteger("attempt"));
    assertEquals("node-a", first.getString("nodeId"));
    assertEquals("alpha", first.getString("nodeName"));
    assertEquals(2L, first.getLong("term"));
    assertEquals(Instant.ofEpochMilli(T0 + 10).toString(), first.getString("assignedAt"));
    assertEquals(Instant.ofEpochMilli(T0 + 11).toString(), first.getString("ackedAt"));
    assertEquals(Instant.ofEpochMilli(T0 + 12).toString(), first.getString("startedAt"));
    assertEquals(Instant.ofEpochMilli(T0 + 20).toString(), first.getString("endedAt"));
    assertEquals("FAILED", first.getString("outcome"));
    assertEquals("boom", first.getJsonObject("error").getString("message"));
    JsonObject second = history.getJsonObject(1);
    assertEquals("COMPLETED", second.getString("outcome"));
    assertFalse(second.containsKey("error"));
    assertEquals(3L, second.getLong("term"));

    // Ending an attempt twice keeps the first outcome.
    t.endAttempt("CANCELLED", null, T0 + 999);
    assertEquals(json, t.toJson());

    Task back = Task.fromJson(new JsonObject(json.encode()));
    assertEquals(json, back.toJson());
    assertEquals("t-2", back.id());
    assertEquals(spec, back.spec());
    assertEquals(COMPLETED, back.state());
    assertEquals(2, back.attempt());
    assertEquals("node-b", back.nodeId());
    assertEquals(17, back.seq());
    assertEquals(T0, back.submittedAt());
    assertEquals(T0 + 220, back.readyAt());
    assertEquals(3, back.term());
    assertEquals(t.version(), back.version());
    assertEquals("completed on node-b", back.reason());
    assertEquals(Set.of("node-a"), back.failedOn());
    assertTrue(back.state().terminal());
    assertFalse(back.moveTo(PENDING, 4, "no", T0 + 300));
  }

  @Test
  void roundTripOfAFreshTask() {
    Task t = task();
    JsonObject json = t.toJson();
    assertEquals(0, json.getJsonArray("attemptHistory").size());
    assertNull(json.getString("finishedAt"));
    Task back = Task.fromJson(json);
    assertEquals(json, back.toJson());
    assertEquals(PENDING, back.state());
    assertTrue(back.moveTo(ASSIGNED, 3, "ok", T0 + 1));
  }

  @Test
  void toJsonHistoryIsACopy() {
    Task t = task();
    t.assign("n", "name", new JsonObject(), 3, T0 + 1);
    t.toJson().getJsonArray("attemptHistory").getJsonObject(0).put("outcome", "MEDDLED");
    t.toJson().getJsonArray("attemptHistory").clear();
    assertEquals(1, t.toJson().getJsonArray("attemptHistory").size());
  }
}
