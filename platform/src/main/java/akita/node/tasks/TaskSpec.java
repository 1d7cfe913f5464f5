package akita.node.tasks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a user submits: a validated, immutable task description. Every door (REST, event bus, CLI) builds
 * one with {@link #fromJson}, so every door refuses the same input with the same message, naming the field.
 *
 * @param type the task type (an executor plugin must provide it)
 * @param payload the executor's input
 * @param priority higher runs first, 0-1000
 * @param requiredCapabilities a node must offer all of them
 * @param maxAttempts how many attempts before FAILED, 1-100
 * @param timeoutMs how long one attempt may run (start to close)
 * @param ackTimeoutMs how long a worker has to acknowledge an assignment
 * @param idempotencyKey a repeated submit with this key returns the first task; may be {@code null}
 * @param notBefore do not start before this time (epoch ms), 0 for at once
 * @param deadline give up if not started by this time (epoch ms), 0 for never
 * @param affinity prefer nodes with these names, ids or capabilities
 * @param antiAffinity avoid nodes with these names, ids or capabilities
 * @param labels free-form labels for people and filters
 * @param submitter who submitted it
 * @param notifyAddress (JSON field {@code notify}) an event-bus address that is sent the task once it has ended (its stored JSON, in a batch
 *     {@code {"tasks": [...]}}); {@code null} for none. {@link akita.api.client.TaskClient} sets it.
 */
public record TaskSpec(String type, JsonObject payload, int priority, List<String> requiredCapabilities,
    int maxAttempts, long timeoutMs, long ackTimeoutMs, String idempotencyKey, long notBefore, long deadline,
    List<String> affinity, List<String> antiAffinity, Map<String, String> labels, String submitter,
    String notifyAddress) {

  /** Defaults and limits, from the node's configuration. */
  public record Limits(long maxPayloadBytes, long defaultTimeoutMs, long defaultAckTimeoutMs, int defaultMaxAttempts) {
    /** The defaults of a node with no task settings. */
    public static final Limits DEFAULT = new Limits(1 << 20, 60_000, 5_000, 3);
  }

  private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9._-]{0,63}");
  private static final Pattern CAPABILITY = Pattern.compile("[a-z0-9][a-z0-9._:-]{0,62}");
  private static final Set<String> FIELDS = Set.of("type", "payload", "priority", "requiredCapabilities",
      "maxAttempts", "timeoutMs", "ackTimeoutMs", "idempotencyKey", "notBefore", "deadline", "affinity",
      "antiAffinity", "labels", "submitter", "notify");
  /** Addresses a task may notify: a client's own, never one of the node's internal addresses. */
  private static final Pattern NOTIFY =
      Pattern.compile("(akita\\.tasks\\.client\\.|(?!akita\\.))[A-Za-z0-9._:-]{1,200}");

  /**
   * Validates a submitted task.
   *
   * @param o the JSON as submitted
   * @param limits the node's limits and defaults
   * @param defaultSubmitter who submitted it when the JSON does not say
   * @return the task description
   * @throws TaskValidationException naming the first bad field
   */
  public static TaskSpec fromJson(JsonObject o, Limits limits, String defaultSubmitter) {
    if (o == null) {
      throw new TaskValidationException(null, "a task must be a JSON object");
    }
    for (String f : o.fieldNames()) {
      if (!FIELDS.contains(f)) {
        throw new TaskValidationException(f, "unknown field '" + f + "'; known fields: " + String.join(", ",
            new java.util.TreeSet<>(FIELDS)));
      }
    }
    Object typeValue = o.getValue("type");
    if (!(typeValue instanceof String type) || !TYPE.matcher(type).matches()) {
      throw new TaskValidationException("type", "'type' is required: a task type such as \"shell\" (lowercase "
          + "letters, digits, '.', '_', '-')");
    }
    Object payloadValue = o.getValue("payload");
    JsonObject payload;
    if (payloadValue == null) {
      payload = new JsonObject();
    } else if (payloadValue instanceof JsonObject p) {
      payload = p;
    } else {
      throw new TaskValidationException("payload", "'payload' must be a JSON object");
    }
    // Measured at the door; the leader, whose limit is none, does not encode every payload again.
    int payloadBytes = limits.maxPayloadBytes() == Long.MAX_VALUE || payload.isEmpty() ? 0
        : payload.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (payloadBytes > limits.maxPayloadBytes()) {
      throw new TaskValidationException("payload", "'payload' is " + payloadBytes + " bytes; the limit is "
          + limits.maxPayloadBytes());
    }
    int priority = (int) integer(o, "priority", 0, 0, 1000);
    List<String> caps = capabilities(o, "requiredCapabilities");
    int maxAttempts = (int) integer(o, "maxAttempts", limits.defaultMaxAttempts(), 1, 100);
    long timeoutMs = integer(o, "timeoutMs", limits.defaultTimeoutMs(), 1, 7L * 24 * 3600 * 1000);
    long ackTimeoutMs = integer(o, "ackTimeoutMs", limits.defaultAckTimeoutMs(), 100, 600_000);
    String key = string(o, "idempotencyKey", 200);
    long notBefore = instant(o, "notBefore");
    long deadline = instant(o, "deadline");
    if (deadline != 0 && notBefore != 0 && deadline <= notBefore) {
      throw new TaskValidationException("deadline", "'deadline' must be after 'notBefore'");
    }
    List<String> affinity = names(o, "affinity");
    List<String> antiAffinity = names(o, "antiAffinity");
    Map<String, String> labels = labels(o);
    String submitter = string(o, "submitter", 100);
    String notify = string(o, "notify", 240);
    if (notify != null && !NOTIFY.matcher(notify).matches()) {
      throw new TaskValidationException("notify", "'notify' must be an event-bus address of letters, digits and "
          + "'._:-' that is not one of the node's own (akita.*, except akita.tasks.client.*)");
    }
    return new TaskSpec(canonical(type), payload, priority, caps, maxAttempts, timeoutMs, ackTimeoutMs, key,
        notBefore, deadline, affinity, antiAffinity, labels, canonical(submitter == null ? defaultSubmitter
        : submitter), canonical(notify));
  }

  /**
   * @return this spec with its payload held compactly ({@link CompactMap}, read-only, same order), for the
   *     leader, which keeps every queued task's spec; this spec when the payload is large or already compact
   */
  TaskSpec compact() {
    Map<String, Object> small = CompactMap.of(payload.getMap());
    return small == payload.getMap() ? this : new TaskSpec(type, new JsonObject(small), priority,
        requiredCapabilities, maxAttempts, timeoutMs, ackTimeoutMs, idempotencyKey, notBefore, deadline, affinity,
        antiAffinity, labels, submitter, notifyAddress);
  }

  /** One instance of each of the few types, submitters and notify addresses that many tasks repeat. */
  private static final Map<String, String> CANONICAL = new java.util.concurrent.ConcurrentHashMap<>();
  private static final int CANONICAL_MAX = 4_096;

  /**
   * @return an equal string shared by every task that names it (until {@value #CANONICAL_MAX} are known): a
   *     million queued tasks would otherwise hold a million copies of "noop"
   */
  private static String canonical(String s) {
    if (s == null) {
      return null;
    }
    String known = CANONICAL.get(s);
    if (known != null) {
      return known;
    }
    if (CANONICAL.size() < CANONICAL_MAX) {
      known = CANONICAL.putIfAbsent(s, s);
    }
    return known == null ? s : known;
  }

  private static long integer(JsonObject o, String field, long dflt, long min, long max) {
    Object v = o.getValue(field);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min
        || ((Number) v).longValue() > max) {
      throw new TaskValidationException(field, "'" + field + "' must be an integer from " + min + " to " + max
          + ", not " + (v instanceof String ? "\"" + v + "\"" : v));
    }
    return ((Number) v).longValue();
  }

  private static String string(JsonObject o, String field, int maxLength) {
    Object v = o.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || s.isEmpty() || s.length() > maxLength) {
      throw new TaskValidationException(field, "'" + field + "' must be a string of 1 to " + maxLength
          + " characters");
    }
    return s;
  }

  private static long instant(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v == null) {
      return 0;
    }
    if (v instanceof Integer || v instanceof Long) {
      long ms = ((Number) v).longValue();
      if (ms > 0) {
        return ms;
      }
    } else if (v instanceof String s) {
      try {
        return Instant.parse(s).toEpochMilli();
      } catch (DateTimeParseException e) {
        // fall through
      }
    }
    throw new TaskValidationException(field, "'" + field + "' must be an ISO-8601 instant such as "
        + "\"2026-01-31T12:00:00Z\" or epoch milliseconds");
  }

  private static List<String> strings(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a) || a.size() > 64) {
      throw new TaskValidationException(field, "'" + field + "' must be an array of at most 64 strings");
    }
    Set<String> out = new LinkedHashSet<>();
    for (Object item : a) {
      if (!(item instanceof String s) || s.isEmpty() || s.length() > 100) {
        throw new TaskValidationException(field, "'" + field + "' must contain only non-empty strings");
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  private static List<String> capabilities(JsonObject o, String field) {
    List<String> caps = strings(o, field);
    for (String c : caps) {
      if (!CAPABILITY.matcher(c).matches()) {
        throw new TaskValidationException(field, "'" + c + "' in '" + field + "' is not a capability (lowercase "
            + "letters, digits, '.', '_', ':', '-')");
      }
    }
    return caps;
  }

  private static List<String> names(JsonObject o, String field) {
    return strings(o, field);
  }

  private static Map<String, String> labels(JsonObject o) {
    Object v = o.getValue("labels");
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof JsonObject l) || l.size() > 32) {
      throw new TaskValidationException("labels", "'labels' must be an object of at most 32 string values");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : l) {
      if (!(e.getValue() instanceof String s) || e.getKey().length() > 64 || s.length() > 256) {
        throw new TaskValidationException("labels", "label '" + e.getKey() + "' must be a string (keys up to 64, "
            + "values up to 256 characters)");
      }
      out.put(e.getKey(), s);
    }
    return Map.copyOf(out);
  }

  /** @return the description as JSON, in the shape {@link #fromJson} reads */
  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("type", type).put("payload", payload).put("priority", priority)
        .put("requiredCapabilities", new JsonArray(requiredCapabilities)).put("maxAttempts", maxAttempts)
        .put("timeoutMs", timeoutMs).put("ackTimeoutMs", ackTimeoutMs).put("idempotencyKey", idempotencyKey)
        .put("affinity", new JsonArray(affinity)).put("antiAffinity", new JsonArray(antiAffinity))
        .put("labels", new JsonObject(new LinkedHashMap<>(labels))).put("submitter", submitter);
    if (notifyAddress != null) {
      o.put("notify", notifyAddress);
    }
    o.put("notBefore", notBefore == 0 ? null : Instant.ofEpochMilli(notBefore).toString());
    o.put("deadline", deadline == 0 ? null : Instant.ofEpochMilli(deadline).toString());
    return o;
  }
}
