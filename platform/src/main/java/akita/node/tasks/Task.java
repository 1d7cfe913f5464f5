package akita.node.tasks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.io.Writer;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A task's full record: its description, its state and the history of its attempts. Owned and changed
 * only by the leader's scheduler; everyone else sees its JSON. Every change goes through
 * {@link #moveTo}, which refuses a transition the state machine does not allow and stamps the term.
 */
public final class Task {

  private final String id;
  private final TaskSpec spec;
  private final long submittedAt;
  private final long seq;
  private TaskState state = TaskState.PENDING;
  private int attempt;
  private String nodeId;
  private String nodeName;
  private JsonObject result;
  private JsonObject error;
  private JsonObject progress;
  private String reason;
  private JsonObject placement;
  private long updatedAt;
  private long finishedAt;
  private long term;
  private long version;
  /** Earliest time the task may be placed (notBefore, or the end of a retry backoff). */
  private long readyAt;
  /** Nodes an attempt failed on, created with the first: most tasks never fail, and a million may wait queued. */
  private Set<String> failedOn;
  /** The time the queue orders this task by: its submit time, or a later one under fair share. */
  private long queueTime;
  /** The attempts' history, created with the first attempt. */
  private JsonArray attempts;
  /** Whether the task waits in the leader's queue (kept by {@link TaskQueue}, so it is never there twice). */
  boolean queued;
  /** When the leader gives up on the current attempt if no report ends it (not stored: reset on take-over). */
  private long backstopAt;
  /** The state last reported to listeners (ledger, events, metrics); {@code null} for a task not yet reported. */
  private TaskState reported;
  /**
   * A finished task's stored text, which stands in for its result, error, progress, placement, failed nodes and
   * attempt history ({@link #retire}); {@code null} while the task keeps them as objects.
   */
  private String retired;

  /**
   * A newly submitted task.
   *
   * @param id its id
   * @param spec what was submitted
   * @param submittedAt when (epoch ms)
   * @param seq the leader's submission counter, for FIFO order within a priority
   * @param term the leader's term
   */
  public Task(String id, TaskSpec spec, long submittedAt, long seq, long term) {
    this.id = id;
    this.spec = spec.compact();
    this.submittedAt = submittedAt;
    this.seq = seq;
    this.term = term;
    this.updatedAt = submittedAt;
    this.readyAt = Math.max(spec.notBefore(), 0);
    this.version = 1;
    this.queueTime = submittedAt;
  }

  /**
   * Moves the task to another state.
   *
   * @param to the new state
   * @param term the leader's term, stamped on the change
   * @param why the reason, for the record
   * @param now the time (epoch ms)
   * @return {@code false} (and nothing changed) if the state machine does not allow it
   */
  public boolean moveTo(TaskState to, long term, String why, long now) {
    if (!state.canMoveTo(to)) {
      return false;
    }
    revive();
    state = to;
    this.term = term;
    this.reason = why;
    this.updatedAt = now;
    this.version++;
    if (to.terminal()) {
      finishedAt = now;
    }
    return true;
  }

  /** Starts a new attempt on a node. */
  void assign(String node, String name, JsonObject placement, long term, long now) {
    revive();
    attempt++;
    nodeId = node;
    nodeName = name;
    this.placement = placement;
    if (attempts == null) {
      attempts = new JsonArray();
    }
    attempts.add(new JsonObject().put("attempt", attempt).put("nodeId", node).put("nodeName", name)
        .put("assignedAt", iso(now)).put("term", term));
  }

  /** Records on the current attempt what happened to it. */
  void attemptEvent(String field, long now) {
    JsonObject a = currentAttempt();
    if (a != null) {
      a.put(field, iso(now));
    }
  }

  /** Ends the current attempt with an outcome and, for a failure, its error. */
  void endAttempt(String outcome, JsonObject err, long now) {
    revive();
    JsonObject a = currentAttempt();
    if (a != null && !a.containsKey("outcome")) {
      a.put("endedAt", iso(now)).put("outcome", outcome);
      if (err != null) {
        a.put("error", err);
      }
    }
    if (err != null && nodeId != null) {
      failedOn(nodeId);
    }
  }

  /**
   * An earlier attempt's success arrived after it had been given up on (its worker was thought lost, or it did
   * not acknowledge in time), or an attempt this leader never knew (an earlier leader's assignment that was not
   * stored, and was not found on its worker at the take-over): that attempt completed the task, whatever it was
   * marked, and is added to the history if missing; the current one, if it is another and still open, was
   * superseded.
   *
   * @param number the attempt that reported success
   * @param node the node it ran on
   * @param now the time
   */
  void lateSuccess(int number, String node, long now) {
    revive();
    JsonObject current = currentAttempt();
    if (current != null && !current.containsKey("outcome")
        && (current.getInteger("attempt", 0) != number || !node.equals(current.getString("nodeId")))) {
      current.put("endedAt", iso(now)).put("outcome", "SUPERSEDED");
    }
    for (int i = attempts == null ? -1 : attempts.size() - 1; i >= 0; i--) {
      JsonObject a = attempts.getJsonObject(i);
      if (a.getInteger("attempt", 0) == number && node.equals(a.getString("nodeId"))) {
        a.put("endedAt", iso(now)).put("outcome", "COMPLETED").put("lateResult", true);
        nodeId = node;
        return;
      }
    }
    // An attempt this leader never knew: an earlier leader assigned it and did not store the assignment (ADR 12),
    // and the worker's result arrived after the take-over. It is recorded as it happened.
    if (attempts == null) {
      attempts = new JsonArray();
    }
    attempts.add(new JsonObject().put("attempt", number).put("nodeId", node).put("endedAt", iso(now))
        .put("outcome", "COMPLETED").put("lateResult", true));
    attempt = Math.max(attempt, number);
    nodeId = node;
  }

  /** @return whether the current attempt already has an outcome (it was given up on, or ended) */
  boolean attemptEnded() {
    JsonObject a = currentAttempt();
    return a != null && a.containsKey("outcome");
  }

  /** @return the error of the last attempt, {@code null} if it did not fail (or there was none) */
  JsonObject lastAttemptError() {
    JsonObject a = currentAttempt();
    return a == null ? null : a.getJsonObject("error");
  }

  private JsonObject currentAttempt() {
    revive();
    return attempts == null || attempts.isEmpty() ? null : attempts.getJsonObject(attempts.size() - 1);
  }

  /** A formatted time: {@link #iso} keeps the recent ones, since a batch of changes shares a few milliseconds. */
  private record Iso(long ms, String text) {
  }

  /**
   * Recently formatted times by millisecond modulo its size. Entries are immutable, so threads that race on a
   * slot at worst format again.
   */
  private static final Iso[] ISO_CACHE = new Iso[1024];

  private static String iso(long ms) {
    int slot = (int) (ms & (ISO_CACHE.length - 1));
    Iso known = ISO_CACHE[slot];
    if (known != null && known.ms() == ms) {
      return known.text();
    }
    String text = Instant.ofEpochMilli(ms).toString();
    ISO_CACHE[slot] = new Iso(ms, text);
    return text;
  }

  // ---- accessors ----------------------------------------------------------------------------------------

  public String id() {
    return id;
  }

  public TaskSpec spec() {
    return spec;
  }

  public TaskState state() {
    return state;
  }

  public int attempt() {
    return attempt;
  }

  public String nodeId() {
    return nodeId;
  }

  public long seq() {
    return seq;
  }

  public long submittedAt() {
    return submittedAt;
  }

  long queueTime() {
    return queueTime;
  }

  void queueTime(long t) {
    queueTime = t;
  }

  public long readyAt() {
    return readyAt;
  }

  void readyAt(long at) {
    revive();
    readyAt = at;
  }

  public long term() {
    return term;
  }

  public long version() {
    return version;
  }

  /**
   * Marks the current state as reported.
   *
   * @return the state reported before, {@code null} for a task never reported
   */
  TaskState markReported() {
    TaskState was = reported;
    reported = state;
    return was;
  }

  /** @return the state last reported, {@code null} if none */
  TaskState reported() {
    return reported;
  }

  public Set<String> failedOn() {
    revive();
    return failedOn == null ? Set.of() : failedOn;
  }

  /** Adds a node the task failed on. */
  void failedOn(String node) {
    revive();
    if (failedOn == null) {
      failedOn = new LinkedHashSet<>();
    }
    failedOn.add(node);
  }

  void result(JsonObject r) {
    revive();
    result = r;
  }

  long backstopAt() {
    return backstopAt;
  }

  void backstopAt(long at) {
    backstopAt = at;
  }

  /**
   * @param json this task's stored JSON, encoded
   * @return its row for the SQLite mirror: id, seq, state, type, node id, priority, idempotency key, submitted
   *     at, updated at (epoch ms), term, version, JSON
   */
  JsonArray mirrorRow(String json) {
    return new JsonArray(new java.util.ArrayList<>(12)).add(id).add(seq).add(state.name()).add(spec.type())
        .add(nodeId).add(spec.priority()).add(spec.idempotencyKey()).add(submittedAt).add(updatedAt).add(term)
        .add(version).add(json);
  }

  /** @return when the task ended (epoch ms), 0 while it has not */
  long finishedAt() {
    return finishedAt;
  }

  /** @return the last attempt's error, {@code null} if none */
  JsonObject error() {
    revive();
    return error;
  }

  void error(JsonObject e) {
    revive();
    error = e;
  }

  void progress(JsonObject p) {
    revive();
    progress = p;
    version++;
  }

  void reason(String r) {
    if (!java.util.Objects.equals(reason, r)) {
      revive();
      reason = r;
      version++;
    }
  }

  public String reason() {
    return reason;
  }

  /** @return the task as the API shows it and as the stores keep it */
  public JsonObject toJson() {
    if (retired != null) {
      return fromJson(new JsonObject(retired)).toJson(); // read back, not revived: a list does not re-inflate
    }
    JsonObject o = spec.toJson()
        .put("id", id)
        .put("state", state.name())
        .put("attempts", attempt)
        .put("nodeId", nodeId)
        .put("nodeName", nodeName)
        .put("result", result)
        .put("error", error)
        .put("progress", progress)
        .put("reason", reason)
        .put("placement", placement)
        .put("submittedAt", iso(submittedAt))
        .put("updatedAt", iso(updatedAt))
        .put("finishedAt", finishedAt == 0 ? null : iso(finishedAt))
        .put("term", term)
        .put("version", version)
        .put("seq", seq)
        .put("readyAt", readyAt)
        .put("failedOn", new JsonArray(new java.util.ArrayList<>(failedOn())))
        .put("attemptHistory", attempts == null ? new JsonArray() : attempts.copy());
    return o;
  }

  private static final JsonFactory JSON = new JsonFactory();

  /**
   * @return the task as the map and the mirror keep it: {@link #toJson()} without its null fields and its empty
   *     lists and label sets, a third smaller for a queued task; {@link #fromJson} reads it back whole. Written
   *     field by field with a streaming generator (no {@code JsonObject} built): the leader stores a task at
   *     submit, at its start when reported apart from its end, and at its end.
   */
  public String storedJson() {
    if (retired != null) {
      return retired;
    }
    StringBuilder out = new StringBuilder(1024);
    try (JsonGenerator g = JSON.createGenerator(new Appender(out))) {
      g.writeStartObject();
      writeSpec(g);
      g.writeStringField("id", id);
      g.writeStringField("state", state.name());
      if (attempt != 0) {
        g.writeNumberField("attempts", attempt);
      }
      optional(g, "nodeId", nodeId);
      optional(g, "nodeName", nodeName);
      optional(g, "result", result);
      optional(g, "error", error);
      optional(g, "progress", progress);
      optional(g, "reason", reason);
      optional(g, "placement", placement);
      g.writeStringField("submittedAt", iso(submittedAt));
      if (updatedAt != submittedAt) {
        g.writeStringField("updatedAt", iso(updatedAt));
      }
      if (finishedAt != 0) {
        g.writeStringField("finishedAt", iso(finishedAt));
      }
      g.writeNumberField("term", term);
      if (version != 1) {
        g.writeNumberField("version", version);
      }
      g.writeNumberField("seq", seq);
      if (readyAt != 0) {
        g.writeNumberField("readyAt", readyAt);
      }
      if (failedOn != null && !failedOn.isEmpty()) {
        g.writeArrayFieldStart("failedOn");
        for (String n : failedOn) {
          g.writeString(n);
        }
        g.writeEndArray();
      }
      optional(g, "attemptHistory", attempts == null || attempts.isEmpty() ? null : attempts);
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("task " + id + " could not be encoded", e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /** The spec's fields as {@link TaskSpec#toJson} has them, without the empty ones ({@link #storedJson}). */
  private void writeSpec(JsonGenerator g) throws IOException {
    g.writeStringField("type", spec.type());
    optional(g, "payload", spec.payload());
    if (spec.priority() != 0) {
      g.writeNumberField("priority", spec.priority());
    }
    strings(g, "requiredCapabilities", spec.requiredCapabilities());
    g.writeNumberField("maxAttempts", spec.maxAttempts());
    g.writeNumberField("timeoutMs", spec.timeoutMs());
    g.writeNumberField("ackTimeoutMs", spec.ackTimeoutMs());
    optional(g, "idempotencyKey", spec.idempotencyKey());
    strings(g, "affinity", spec.affinity());
    strings(g, "antiAffinity", spec.antiAffinity());
    if (!spec.labels().isEmpty()) {
      g.writeObjectFieldStart("labels");
      for (Map.Entry<String, String> e : spec.labels().entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
    }
    optional(g, "submitter", spec.submitter());
    optional(g, "notify", spec.notifyAddress());
    if (spec.notBefore() != 0) {
      g.writeStringField("notBefore", Instant.ofEpochMilli(spec.notBefore()).toString());
    }
    if (spec.deadline() != 0) {
      g.writeStringField("deadline", Instant.ofEpochMilli(spec.deadline()).toString());
    }
  }

  private static void strings(JsonGenerator g, String field, List<String> values) throws IOException {
    if (values.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart(field);
    for (String v : values) {
      g.writeString(v);
    }
    g.writeEndArray();
  }

  /** A writer onto a {@link StringBuilder}: the JDK's {@code StringWriter} synchronizes every call. */
  private static final class Appender extends Writer {
    private final StringBuilder to;

    Appender(StringBuilder to) {
      this.to = to;
    }

    @Override
    public void write(char[] chars, int off, int len) {
      to.append(chars, off, len);
    }

    @Override
    public void write(String str, int off, int len) {
      to.append(str, off, off + len);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  }

  private static void optional(JsonGenerator g, String field, Object value) throws IOException {
    if (value != null) {
      g.writeFieldName(field);
      JacksonCodec.encodeJson(value, g);
    }
  }

  /**
   * Keeps a finished task as its stored text: its result, error, progress, placement, failed nodes and attempt
   * history (a few dozen small objects, a quarter of them the placement's scores) are dropped, and read back
   * from the text if the task is ever changed or asked for them ({@link #toJson} reads them without keeping
   * them). The leader keeps finished tasks for the retention time; as objects they were most of what every young
   * collection copied, and made its pauses the longest waits of a task at 1,000 tasks/s (ADR 23).
   *
   * @param json this task's {@link #storedJson}, as it is now
   */
  void retire(String json) {
    if (state.terminal() && retired == null) {
      retired = json;
      result = null;
      error = null;
      progress = null;
      placement = null;
      failedOn = null;
      attempts = null;
    }
  }

  /** @return whether the task is kept as its stored text ({@link #retire}) */
  boolean retired() {
    return retired != null;
  }

  /** Reads back the fields a retired task dropped, before they are read or the task changes. */
  private void revive() {
    if (retired != null) {
      Task t = fromJson(new JsonObject(retired));
      retired = null;
      result = t.result;
      error = t.error;
      progress = t.progress;
      placement = t.placement;
      failedOn = t.failedOn;
      attempts = t.attempts;
    }
  }

  /**
   * Reads a task back from its JSON (a store, a map entry).
   *
   * @param o as written by {@link #toJson()}
   * @return the task
   */
  public static Task fromJson(JsonObject o) {
    JsonObject specJson = o.copy();
    for (String f : new String[] {"id", "state", "attempts", "nodeId", "nodeName", "result", "error", "progress",
        "reason", "placement", "submittedAt", "updatedAt", "finishedAt", "term", "version", "seq", "readyAt",
        "failedOn", "attemptHistory"}) {
      specJson.remove(f);
    }
    specJson.fieldNames().removeIf(f -> specJson.getValue(f) == null);
    TaskSpec spec = TaskSpec.fromJson(specJson, new TaskSpec.Limits(Long.MAX_VALUE, 1, 100, 1),
        o.getString("submitter"));
    Task t = new Task(o.getString("id"), spec, Instant.parse(o.getString("submittedAt")).toEpochMilli(),
        o.getLong("seq", 0L), o.getLong("term", 0L));
    t.state = TaskState.valueOf(o.getString("state"));
    t.attempt = o.getInteger("attempts", 0);
    t.nodeId = o.getString("nodeId");
    t.nodeName = o.getString("nodeName");
    t.result = o.getJsonObject("result");
    t.error = o.getJsonObject("error");
    t.progress = o.getJsonObject("progress");
    t.reason = o.getString("reason");
    t.placement = o.getJsonObject("placement");
    t.updatedAt = o.getString("updatedAt") == null ? t.submittedAt : Instant.parse(o.getString("updatedAt"))
        .toEpochMilli();
    t.finishedAt = o.getString("finishedAt") == null ? 0 : Instant.parse(o.getString("finishedAt")).toEpochMilli();
    t.version = o.getLong("version", 1L);
    t.readyAt = o.getLong("readyAt", 0L);
    o.getJsonArray("failedOn", new JsonArray()).forEach(n -> t.failedOn(String.valueOf(n)));
    JsonArray history = o.getJsonArray("attemptHistory");
    if (history != null && !history.isEmpty()) {
      t.attempts = history.copy();
    }
    t.reported = t.state; // a stored task: its state was reported by the leader that stored it
    return t;
  }
}
