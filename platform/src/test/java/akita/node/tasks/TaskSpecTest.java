package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Validation of submitted tasks: defaults, every field's refusal naming the field, and the JSON round trip. */
class TaskSpecTest {

  private static final TaskSpec.Limits LIMITS = TaskSpec.Limits.DEFAULT;

  private static JsonObject echo() {
    return new JsonObject().put("type", "echo");
  }

  private static TaskSpec parse(JsonObject o) {
    return TaskSpec.fromJson(o, LIMITS, "tester");
  }

  /** Parses and expects a refusal naming {@code field}, both in {@link TaskValidationException#field()} and the text. */
  private static TaskValidationException refused(JsonObject o, String field) {
    TaskValidationException e = assertThrows(TaskValidationException.class, () -> parse(o), o.encode());
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.getMessage().contains(field), "the message names '" + field + "': " + e.getMessage());
    return e;
  }

  @Test
  void defaults() {
    TaskSpec s = parse(echo());
    assertEquals("echo", s.type());
    assertEquals(new JsonObject(), s.payload());
    assertEquals(0, s.priority());
    assertEquals(List.of(), s.requiredCapabilities());
    assertEquals(LIMITS.defaultMaxAttempts(), s.maxAttempts());
    assertEquals(3, s.maxAttempts());
    assertEquals(LIMITS.defaultTimeoutMs(), s.timeoutMs());
    assertEquals(60_000, s.timeoutMs());
    assertEquals(LIMITS.defaultAckTimeoutMs(), s.ackTimeoutMs());
    assertEquals(5_000, s.ackTimeoutMs());
    assertNull(s.idempotencyKey());
    assertEquals(0, s.notBefore());
    assertEquals(0, s.deadline());
    assertEquals(List.of(), s.affinity());
    assertEquals(List.of(), s.antiAffinity());
    assertEquals(Map.of(), s.labels());
    assertEquals("tester", s.submitter());
  }

  @Test
  void limitsComeFromTheNode() {
    TaskSpec s = TaskSpec.fromJson(echo(), new TaskSpec.Limits(100, 1_234, 567, 7), "x");
    assertEquals(1_234, s.timeoutMs());
    assertEquals(567, s.ackTimeoutMs());
    assertEquals(7, s.maxAttempts());
  }

  @Test
  void aSubmitterInTheJsonWins() {
    assertEquals("alice", parse(echo().put("submitter", "alice")).submitter());
  }

  @Test
  void nullIsRefused() {
    TaskValidationException e = assertThrows(TaskValidationException.class, () -> parse(null));
    assertNull(e.field());
  }

  @Test
  void typeMissingOrBad() {
    refused(new JsonObject().put("payload", new JsonObject()), "type");
    refused(new JsonObject().put("type", ""), "type");
    refused(new JsonObject().put("type", "Echo"), "type");
    refused(new JsonObject().put("type", "1echo"), "type");
    refused(new JsonObject().put("type", "ec ho"), "type");
    refused(new JsonObject().put("type", "a".repeat(65)), "type");
    refused(new JsonObject().put("type", 42), "type");
    assertEquals("a.b_c-9", parse(new JsonObject().put("type", "a.b_c-9")).type());
  }

  @Test
  void payloadMustBeAnObjectWithinTheLimit() {
    refused(echo().put("payload", "text"), "payload");
    refused(echo().put("payload", new JsonArray().add(1)), "payload");
    refused(echo().put("payload", 5), "payload");
    TaskSpec.Limits small = new TaskSpec.Limits(50, 1_000, 1_000, 1);
    JsonObject big = echo().put("payload", new JsonObject().put("data", "x".repeat(100)));
    TaskValidationException e = assertThrows(TaskValidationException.class,
        () -> TaskSpec.fromJson(big, small, "t"));
    assertEquals("payload", e.field());
    assertTrue(e.getMessage().contains("payload") && e.getMessage().contains("50"), e.getMessage());
    JsonObject fits = echo().put("payload", new JsonObject().put("d", "x"));
    assertEquals("x", TaskSpec.fromJson(fits, small, "t").payload().getString("d"));
  }

  @Test
  void priorityIsAnIntegerFrom0To1000() {
    refused(echo().put("priority", -1), "priority");
    refused(echo().put("priority", 1001), "priority");
    TaskValidationException e = refused(echo().put("priority", "high"), "priority");
    assertTrue(e.getMessage().contains("\"high\""), e.getMessage());
    refused(echo().put("priority", 1.5), "priority");
    refused(echo().put("priority", true), "priority");
    assertEquals(0, parse(echo().put("priority", 0)).priority());
    assertEquals(1000, parse(echo().put("priority", 1000)).priority());
    assertEquals(7, parse(echo().put("priority", 7L)).priority());
  }

  @Test
  void maxAttemptsTimeoutsAndTheirBounds() {
    refused(echo().put("maxAttempts", 0), "maxAttempts");
    refused(echo().put("maxAttempts", 101), "maxAttempts");
    assertEquals(100, parse(echo().put("maxAttempts", 100)).maxAttempts());
    refused(echo().put("timeoutMs", 0), "timeoutMs");
    refused(echo().put("timeoutMs", 7L * 24 * 3600 * 1000 + 1), "timeoutMs");
    assertEquals(1, parse(echo().put("timeoutMs", 1)).timeoutMs());
    refused(echo().put("ackTimeoutMs", 50), "ackTimeoutMs");
    refused(echo().put("ackTimeoutMs", 600_001), "ackTimeoutMs");
    assertEquals(100, parse(echo().put("ackTimeoutMs", 100)).ackTimeoutMs());
  }

  @Test
  void idempotencyKey() {
    refused(echo().put("idempotencyKey", "k".repeat(201)), "idempotencyKey");
    refused(echo().put("idempotencyKey", ""), "idempotencyKey");
    refused(echo().put("idempotencyKey", 12), "idempotencyKey");
    assertEquals("k".repeat(200), parse(echo().put("idempotencyKey", "k".repeat(200))).idempotencyKey());
  }

  @Test
  void notBeforeAndDeadline() {
    String iso = "2030-01-31T12:00:00Z";
    long ms = Instant.parse(iso).toEpochMilli();
    assertEquals(ms, parse(echo().put("notBefore", iso)).notBefore());
    assertEquals(ms, parse(echo().put("notBefore", ms)).notBefore());
    assertEquals(ms + 1, parse(echo().put("deadline", ms + 1)).deadline());
    refused(echo().put("notBefore", "tomorrow"), "notBefore");
    refused(echo().put("notBefore", "2030-01-31T12:00:00"), "notBefore");
    refused(echo().put("notBefore", 0), "notBefore");
    refused(echo().put("notBefore", -5), "notBefore");
    refused(echo().put("notBefore", true), "notBefore");
    refused(echo().put("deadline", "garbage"), "deadline");
    refused(echo().put("notBefore", iso).put("deadline", "2030-01-31T11:00:00Z"), "deadline");
    refused(echo().put("notBefore", ms).put("deadline", ms), "deadline");
    TaskSpec ok = parse(echo().put("notBefore", ms).put("deadline", "2030-01-31T12:00:01Z"));
    assertEquals(ms + 1_000, ok.deadline());
  }

  @Test
  void requiredCapabilities() {
    TaskValidationException e = refused(echo().put("requiredCapabilities", new JsonArray().add("GPU")),
        "requiredCapabilities");
    assertTrue(e.getMessage().contains("'GPU'"), e.getMessage());
    refused(echo().put("requiredCapabilities", new JsonArray().add("has space")), "requiredCapabilities");
    refused(echo().put("requiredCapabilities", "gpu"), "requiredCapabilities");
    refused(echo().put("requiredCapabilities", new JsonArray().add(1)), "requiredCapabilities");
    refused(echo().put("requiredCapabilities", new JsonArray().add("")), "requiredCapabilities");
    JsonArray many = new JsonArray();
    for (int i = 0; i < 65; i++) {
      many.add("c" + i);
    }
    refused(echo().put("requiredCapabilities", many), "requiredCapabilities");
    assertEquals(List.of("gpu", "zone:eu-1"), parse(echo().put("requiredCapabilities",
        new JsonArray().add("gpu").add("zone:eu-1").add("gpu"))).requiredCapabilities());
  }

  @Test
  void affinityAndAntiAffinity() {
    refused(echo().put("affinity", "node-a"), "affinity");
    refused(echo().put("affinity", new JsonObject()), "affinity");
    refused(echo().put("antiAffinity", new JsonArray().add(3)), "antiAffinity");
    TaskSpec s = parse(echo().put("affinity", new JsonArray().add("Node-A")).put("antiAffinity",
        new JsonArray().add("gpu")));
    assertEquals(List.of("Node-A"), s.affinity());
    assertEquals(List.of("gpu"), s.antiAffinity());
  }

  @Test
  void labels() {
    // The per-entry message names the label ("label 'team' ..."), not the field 'labels' verbatim.
    TaskValidationException e = assertThrows(TaskValidationException.class,
        () -> parse(echo().put("labels", new JsonObject().put("team", 5))));
    assertEquals("labels", e.field());
    assertTrue(e.getMessage().contains("label 'team'"), e.getMessage());
    refused(echo().put("labels", new JsonArray().add("a")), "labels");
    assertEquals("labels", assertThrows(TaskValidationException.class,
        () -> parse(echo().put("labels", new JsonObject().put("k".repeat(65), "v")))).field());
    assertEquals("labels", assertThrows(TaskValidationException.class,
        () -> parse(echo().put("labels", new JsonObject().put("k", "v".repeat(257))))).field());
    JsonObject tooMany = new JsonObject();
    for (int i = 0; i < 33; i++) {
      tooMany.put("k" + i, "v");
    }
    refused(echo().put("labels", tooMany), "labels");
    assertEquals(Map.of("team", "infra"), parse(echo().put("labels", new JsonObject().put("team", "infra")))
        .labels());
  }

  @Test
  void submitterBounds() {
    refused(echo().put("submitter", "s".repeat(101)), "submitter");
    refused(echo().put("submitter", 1), "submitter");
  }

  @Test
  void unknownField() {
    TaskValidationException e = refused(echo().put("prio", 5), "prio");
    assertTrue(e.getMessage().contains("priority"), "the message lists the known fields: " + e.getMessage());
  }

  @Test
  void roundTrip() {
    JsonObject in = new JsonObject().put("type", "shell").put("payload", new JsonObject().put("cmd", "ls")
            .put("n", 3))
        .put("priority", 42).put("requiredCapabilities", new JsonArray().add("gpu").add("zone:eu"))
        .put("maxAttempts", 5).put("timeoutMs", 9_000).put("ackTimeoutMs", 700).put("idempotencyKey", "k-1")
        .put("notBefore", "2030-01-01T00:00:00.123Z").put("deadline", "2030-01-02T00:00:00Z")
        .put("affinity", new JsonArray().add("alpha")).put("antiAffinity", new JsonArray().add("beta"))
        .put("labels", new JsonObject().put("team", "infra").put("env", "prod")).put("submitter", "bob");
    TaskSpec s = parse(in);
    JsonObject json = s.toJson();
    assertEquals("2030-01-01T00:00:00.123Z", json.getString("notBefore"));
    TaskSpec back = TaskSpec.fromJson(json, LIMITS, "someone else");
    assertEquals(s, back);
    assertEquals(json, back.toJson());

    // Defaults survive too: nulls in the JSON (no key, no times) read back as absent.
    TaskSpec d = parse(echo());
    assertEquals(d, TaskSpec.fromJson(d.toJson(), LIMITS, "other"));
  }
}
