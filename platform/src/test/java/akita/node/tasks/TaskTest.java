package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The task record's stored form: what the map and the mirror keep, and what a new leader reads back. */
class TaskTest {

  private static final long T0 = 1_700_000_000_000L;

  private static Task task(JsonObject spec) {
    return new Task("t-1", TaskSpec.fromJson(spec, TaskSpec.Limits.DEFAULT, "alice"), T0, 7, 3);
  }

  /** Verifies a queued task's stored form leaves out its empty and null fields and reads back whole. */
  @Test
  void aQueuedTaskIsStoredWithoutEmptyFieldsAndReadsBackWhole() {
    Task t = task(new JsonObject().put("type", "echo").put("payload", new JsonObject().put("x", "é \"q\"")));
    JsonObject stored = new JsonObject(t.storedJson());
    for (String empty : new String[] {"requiredCapabilities", "affinity", "antiAffinity", "labels", "failedOn",
        "attemptHistory", "nodeId", "result", "error", "finishedAt", "notBefore", "deadline"}) {
      assertFalse(stored.containsKey(empty), empty + " should be left out: " + stored);
    }
    assertEquals("t-1", stored.getString("id"));
    assertEquals("PENDING", stored.getString("state"));
    assertEquals("é \"q\"", stored.getJsonObject("payload").getString("x"));
    assertEquals(t.toJson(), Task.fromJson(stored).toJson());
  }

  /** Verifies the stored form holds exactly the full form's fields that are neither null nor empty. */
  @Test
  void theStoredFormIsTheFullFormWithoutItsEmptyFields() {
    Task t = task(new JsonObject().put("type", "echo").put("payload", new JsonObject().put("n", 1))
        .put("priority", 3).put("requiredCapabilities", new JsonArray().add("gpu").add("ssd"))
        .put("maxAttempts", 4).put("timeoutMs", 5_000).put("ackTimeoutMs", 700).put("idempotencyKey", "k")
        .put("affinity", new JsonArray().add("node-1")).put("antiAffinity", new JsonArray().add("node-2"))
        .put("labels", new JsonObject().put("team", "a").put("tier", "gold")).put("notify", "some.address")
        .put("notBefore", "2026-11-23T10:00:00Z").put("deadline", "2026-11-24T10:00:00.250Z"));
    JsonObject full = t.toJson();
    JsonObject expected = new JsonObject();
    full.forEach(e -> {
      Object v = e.getValue();
      boolean empty = v == null || v instanceof JsonArray a && a.isEmpty()
          || v instanceof JsonObject o && o.isEmpty() && !e.getKey().equals("payload")
          || e.getKey().equals("priority") && Integer.valueOf(0).equals(v)
          || e.getKey().equals("attempts") && Integer.valueOf(0).equals(v)
          || e.getKey().equals("version") && Long.valueOf(1).equals(v)
          || e.getKey().equals("readyAt") && Long.valueOf(0).equals(v)
          || e.getKey().equals("updatedAt") && v.equals(full.getValue("submittedAt"));
      if (!empty) {
        expected.put(e.getKey(), v);
      }
    });
    assertEquals(expected, new JsonObject(t.storedJson()));
    assertEquals(full, Task.fromJson(new JsonObject(t.storedJson())).toJson());
  }

  /** Verifies a task with attempts, a failed node, a result and labels survives the stored form unchanged. */
  @Test
  void aTaskWithHistoryReadsBackAsItWas() {
    Task t = task(new JsonObject().put("type", "echo").put("priority", 9).put("labels", new JsonObject()
        .put("team", "a")).put("requiredCapabilities", new JsonArray().add("gpu")).put("idempotencyKey", "k1"));
    assertTrue(t.moveTo(TaskState.ASSIGNED, 3, null, T0 + 2));
    t.assign("n1", "node-1", new JsonObject().put("score", 1.5), 3, T0 + 2);
    t.attemptEvent("ackedAt", T0 + 3);
    t.endAttempt("failed", new JsonObject().put("code", "BOOM"), T0 + 4);
    t.failedOn("n1");
    assertTrue(t.moveTo(TaskState.RETRYING, 4, "retry", T0 + 4));
    assertTrue(t.moveTo(TaskState.PENDING, 4, null, T0 + 5));
    assertTrue(t.moveTo(TaskState.ASSIGNED, 4, null, T0 + 6));
    t.assign("n2", "node-2", null, 4, T0 + 6);
    assertTrue(t.moveTo(TaskState.RUNNING, 4, null, T0 + 7));
    t.result(new JsonObject().put("out", new JsonArray().add(1).add("two")));
    assertTrue(t.moveTo(TaskState.COMPLETED, 4, null, T0 + 8));

    JsonObject stored = new JsonObject(t.storedJson());
    assertEquals(new JsonArray().add("n1"), stored.getJsonArray("failedOn"));
    assertEquals(2, stored.getJsonArray("attemptHistory").size());
    assertEquals("1970-01-01T00:00:00Z".length() + 4, stored.getString("finishedAt").length());
    assertEquals(t.toJson(), Task.fromJson(stored).toJson());
    // Stored again after a change, the spec's part is reused and the rest follows the change.
    t.reason("kept");
    assertEquals("kept", new JsonObject(t.storedJson()).getString("reason"));
  }

  /**
   * Verifies a finished task kept as its stored text shows and stores the same record, and that a change after
   * (a late report's event) reads the dropped fields back first, so nothing of them is lost.
   */
  @Test
  void aRetiredTaskKeepsItsWholeRecord() {
    Task t = task(new JsonObject().put("type", "echo").put("labels", new JsonObject().put("team", "a")));
    assertTrue(t.moveTo(TaskState.ASSIGNED, 3, null, T0 + 2));
    t.assign("n1", "node-1", new JsonObject().put("scores", new JsonArray().add(0.25)), 3, T0 + 2);
    t.endAttempt("FAILED", new JsonObject().put("code", "BOOM"), T0 + 4);
    assertTrue(t.moveTo(TaskState.RETRYING, 3, "retry", T0 + 4));
    assertTrue(t.moveTo(TaskState.PENDING, 3, null, T0 + 5));
    assertTrue(t.moveTo(TaskState.ASSIGNED, 3, null, T0 + 6));
    t.assign("n2", "node-2", null, 3, T0 + 6);
    t.progress(new JsonObject().put("done", 0.5));
    t.result(new JsonObject().put("out", 42));
    JsonObject running = t.toJson();
    t.retire(t.storedJson());
    assertFalse(t.retired(), "only a finished task is retired");
    assertEquals(running, t.toJson());

    assertTrue(t.moveTo(TaskState.COMPLETED, 3, null, T0 + 8));
    t.endAttempt("COMPLETED", null, T0 + 8);
    JsonObject full = t.toJson();
    String stored = t.storedJson();
    t.retire(stored);
    assertTrue(t.retired());
    assertEquals(full, t.toJson());
    assertEquals(stored, t.storedJson());
    assertEquals(java.util.Set.of("n1"), t.failedOn());
    assertFalse(t.retired(), "reading a dropped field reads them all back");
    assertEquals(full, t.toJson());

    t.retire(t.storedJson());
    t.attemptEvent("ackedAt", T0 + 9); // a late acknowledgement of the last attempt
    assertFalse(t.retired());
    JsonObject last = t.toJson().getJsonArray("attemptHistory").getJsonObject(1);
    assertEquals("COMPLETED", last.getString("outcome"));
    assertEquals("2023-11-14T22:13:20.009Z", last.getString("ackedAt"));
    assertEquals(new JsonObject().put("out", 42), t.toJson().getJsonObject("result"));
  }

  /**
   * Verifies late successes: a known attempt given up on is marked COMPLETED; an attempt the leader never knew
   * (an earlier leader's unstored assignment) is added to the history and counted, so a COMPLETED task always
   * has its completed attempt; a same-numbered attempt on another node is superseded, not credited.
   */
  @Test
  void lateSuccessesAreRecordedOnTheAttemptThatSucceeded() {
    Task known = task(new JsonObject().put("type", "echo"));
    known.assign("n1", "node-1", null, 3, T0 + 1);
    known.endAttempt("FAILED", new JsonObject().put("code", "ACK_TIMEOUT"), T0 + 2);
    known.lateSuccess(1, "n1", T0 + 3);
    JsonObject a1 = known.toJson().getJsonArray("attemptHistory").getJsonObject(0);
    assertEquals("COMPLETED", a1.getString("outcome"));
    assertTrue(a1.getBoolean("lateResult"));

    Task unknown = task(new JsonObject().put("type", "echo"));
    unknown.assign("n1", "node-1", null, 3, T0 + 1);
    unknown.endAttempt("FAILED", new JsonObject().put("code", "ACK_TIMEOUT"), T0 + 2);
    unknown.lateSuccess(2, "n0", T0 + 5); // attempt 2 was assigned by a leader that died before storing it
    JsonObject json = unknown.toJson();
    assertEquals(2, json.getInteger("attempts"));
    assertEquals("n0", json.getString("nodeId"));
    JsonArray history = json.getJsonArray("attemptHistory");
    assertEquals(2, history.size());
    assertEquals("FAILED", history.getJsonObject(0).getString("outcome"));
    assertEquals(new JsonObject().put("attempt", 2).put("nodeId", "n0").put("endedAt", "2023-11-14T22:13:20.005Z")
        .put("outcome", "COMPLETED").put("lateResult", true), history.getJsonObject(1));

    Task reassigned = task(new JsonObject().put("type", "echo"));
    reassigned.assign("n2", "node-2", null, 4, T0 + 1); // the new leader handed attempt 1 out again, elsewhere
    reassigned.lateSuccess(1, "n0", T0 + 2);
    JsonArray h = reassigned.toJson().getJsonArray("attemptHistory");
    assertEquals("SUPERSEDED", h.getJsonObject(0).getString("outcome"));
    assertEquals("n0", h.getJsonObject(1).getString("nodeId"));
    assertEquals("COMPLETED", h.getJsonObject(1).getString("outcome"));
  }
}
