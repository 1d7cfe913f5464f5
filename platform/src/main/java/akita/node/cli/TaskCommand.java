package akita.node.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code task submit|status|list|cancel|watch|attempts}: the cluster's tasks. */
@Command(name = "task", mixinStandardHelpOptions = true,
    description = "Submit, follow, inspect, list and cancel tasks.",
    subcommands = {TaskCommand.Submit.class, TaskCommand.Status.class, TaskCommand.ListTasks.class,
        TaskCommand.Cancel.class, TaskCommand.Watch.class, TaskCommand.Attempts.class})
final class TaskCommand {

  /** How often {@code --wait} and {@code watch} ask for the task when the node offers no event stream. */
  static final long POLL_MS = 200;
  /** How often they read a running task for its progress, which is not an event. */
  static final long PROGRESS_MS = 1_000;
  /** How long a result may be in the status table before it is cut. */
  static final int RESULT_WIDTH = 200;
  /** How long a reason or error may be in the list table before it is cut. */
  static final int REASON_WIDTH = 60;

  /** {@code task submit PAYLOAD --type T ...}. */
  @Command(name = "submit", mixinStandardHelpOptions = true,
      description = "Submit a task; with --wait, follow it until it ends and print its result.")
  static final class Submit extends ClientCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PAYLOAD", defaultValue = "{}",
        description = "The executor's input, a JSON object. Default: ${DEFAULT-VALUE}.")
    String payload;

    @Option(names = "--type", required = true, paramLabel = "TYPE",
        description = "Task type, such as echo or shell.")
    String type;

    @Option(names = "--priority", paramLabel = "N", description = "0 to 1000, higher runs first. Default: 0.")
    Integer priority;

    @Option(names = "--capabilities", split = ",", paramLabel = "CAP",
        description = "Capabilities a node must offer, comma-separated.")
    List<String> capabilities;

    @Option(names = "--max-attempts", paramLabel = "N",
        description = "Attempts before the task fails, 1 to 100. Default: the node's setting.")
    Integer maxAttempts;

    // --timeout-ms belongs to every client command (the HTTP timeout), so the task's own is named apart.
    @Option(names = "--task-timeout-ms", paramLabel = "MS",
        description = "How long one attempt may run, in ms. Default: the node's setting.")
    Long taskTimeoutMs;

    @Option(names = "--idempotency-key", paramLabel = "KEY",
        description = "A repeated submit with the same key returns the first task instead of a new one.")
    String idempotencyKey;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label; repeat for more.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--wait", description = "Follow the task until it ends; exit 0 only if it COMPLETED.")
    boolean waitForEnd;

    @Option(names = "--wait-timeout-ms", paramLabel = "MS", defaultValue = "600000",
        description = "With --wait, how long to follow the task. Default: ${DEFAULT-VALUE} (10 minutes).")
    long waitTimeoutMs;

    @Override
    JsonObject request(NodeApiClient client) {
      JsonObject task = new JsonObject().put("type", type).put("payload", parsePayload(payload));
      if (priority != null) {
        task.put("priority", priority);
      }
      if (capabilities != null && !capabilities.isEmpty()) {
        task.put("requiredCapabilities", new JsonArray(new ArrayList<>(capabilities)));
      }
      if (maxAttempts != null) {
        task.put("maxAttempts", maxAttempts);
      }
      if (taskTimeoutMs != null) {
        task.put("timeoutMs", taskTimeoutMs);
      }
      if (idempotencyKey != null) {
        task.put("idempotencyKey", idempotencyKey);
      }
      if (!labels.isEmpty()) {
        task.put("labels", new JsonObject(new LinkedHashMap<>(labels)));
      }
      JsonObject submitted = client.post("/api/v1/tasks", task);
      if (!waitForEnd) {
        return submitted;
      }
      PrintWriter out = spec.commandLine().getOut();
      if (!options.json) {
        out.println(submittedLine(submitted));
        out.flush();
      }
      return new Follower(client, submitted.getString("id"), waitTimeoutMs, out, options.json).follow(submitted);
    }

    @Override
    void print(JsonObject t, PrintWriter out) {
      if (waitForEnd) {
        printResult(t, out);
      } else {
        out.println(submittedLine(t));
      }
    }

    private static String submittedLine(JsonObject t) {
      return "task " + t.getString("id") + (t.getBoolean("created", true) ? " submitted (" : " already exists (")
          + t.getString("state") + ")";
    }

    private static JsonObject parsePayload(String text) {
      Object value;
      try {
        value = Json.decodeValue(text);
      } catch (DecodeException e) {
        throw new CliException(AkitaCommand.EXIT_USAGE, "the payload is not valid JSON: " + firstLine(e.getMessage())
            + " (give a JSON object such as '{\"message\": \"hi\"}', quoted for the shell)");
      }
      if (!(value instanceof JsonObject o)) {
        throw new CliException(AkitaCommand.EXIT_USAGE, "the payload must be a JSON object such as "
            + "'{\"message\": \"hi\"}', not " + (value == null ? "null" : value instanceof JsonArray ? "an array"
                : value instanceof String ? "a string" : value instanceof Number ? "a number" : "a boolean"));
      }
      return o;
    }
  }

  /** {@code task watch ID}. */
  @Command(name = "watch", mixinStandardHelpOptions = true,
      description = "Follow a task until it ends and print its result; exit 0 only if it COMPLETED.")
  static final class Watch extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The task id.")
    String id;

    @Option(names = "--wait-timeout-ms", paramLabel = "MS", defaultValue = "600000",
        description = "How long to follow the task. Default: ${DEFAULT-VALUE} (10 minutes).")
    long waitTimeoutMs;

    @Override
    JsonObject request(NodeApiClient client) {
      return new Follower(client, id, waitTimeoutMs, spec.commandLine().getOut(), options.json).follow(null);
    }

    @Override
    void print(JsonObject t, PrintWriter out) {
      printResult(t, out);
    }
  }

  /** {@code task status ID}. */
  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show one task in detail.")
  static final class Status extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The task id.")
    String id;

    @Override
    JsonObject request(NodeApiClient client) {
      return client.get(taskPath(id));
    }

    @Override
    void print(JsonObject t, PrintWriter out) {
      long now = System.currentTimeMillis();
      Table table = new Table("FIELD", "VALUE");
      table.row("id", t.getString("id"));
      table.row("type", t.getString("type"));
      table.row("state", t.getString("state"));
      table.row("priority", String.valueOf(t.getValue("priority")));
      table.row("attempts", t.getInteger("attempts", 0) + "/" + t.getValue("maxAttempts"));
      table.row("node", node(t, true));
      table.row("reason", oneLine(t.getString("reason")));
      String progress = progress(t.getJsonObject("progress"));
      table.row("progress", progress == null || "RUNNING".equals(t.getString("state")) ? progress
          : progress + " (last report)");
      table.row("submitted", when(t.getString("submittedAt"), now));
      table.row("updated", when(t.getString("updatedAt"), now));
      table.row("finished", when(t.getString("finishedAt"), now));
      table.row("result", t.getValue("result") == null ? null
          : cut(oneLine(Json.encode(t.getValue("result"))), RESULT_WIDTH));
      table.row("error", error(t.getJsonObject("error")));
      table.row("placement", placement(t.getJsonObject("placement")));
      table.row("capabilities", Table.list(t.getJsonArray("requiredCapabilities")));
      table.row("labels", labels(t.getJsonObject("labels")));
      table.row("idempotency key", t.getString("idempotencyKey"));
      table.row("submitter", t.getString("submitter"));
      table.print(out);
    }

    private static String placement(JsonObject p) {
      JsonObject chosen = p == null ? null : p.getJsonObject("chosen");
      if (chosen == null) {
        return null;
      }
      int candidates = p.getInteger("candidates", 1);
      return name(chosen.getString("name"), chosen.getString("nodeId")) + ", score " + chosen.getValue("score")
          + " (best of " + candidates + (candidates == 1 ? " candidate)" : " candidates)");
    }

    private static String labels(JsonObject l) {
      if (l == null || l.isEmpty()) {
        return null;
      }
      List<String> items = new ArrayList<>();
      l.forEach(e -> items.add(e.getKey() + "=" + e.getValue()));
      return String.join(",", items);
    }
  }

  /** {@code task list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List tasks, newest first.")
  static final class ListTasks extends ClientCommand {
    @Option(names = "--state", paramLabel = "STATE",
        description = "Only tasks in this state: PENDING, ASSIGNED, RUNNING, RETRYING, COMPLETED, FAILED, "
            + "CANCELLED.")
    String state;

    @Option(names = "--type", paramLabel = "TYPE", description = "Only tasks of this type.")
    String type;

    @Option(names = "--node", paramLabel = "NODE",
        description = "Only tasks last placed on this node (id, or the name of a node in the cluster).")
    String node;

    @Option(names = "--limit", paramLabel = "N", description = "How many tasks, 1 to 1000. Default: 100.")
    Integer limit;

    @Option(names = "--cursor", paramLabel = "CURSOR", description = "Continue after a previous page.")
    Long cursor;

    @Override
    JsonObject request(NodeApiClient client) {
      StringBuilder q = new StringBuilder();
      param(q, "state", state);
      param(q, "type", type);
      param(q, "node", node == null ? null : nodeId(client, node));
      param(q, "limit", limit == null ? null : limit.toString());
      param(q, "cursor", cursor == null ? null : cursor.toString());
      return client.get("/api/v1/tasks" + q);
    }

    /** The list filters on node ids; a name is looked up in the cluster view. */
    private static String nodeId(NodeApiClient client, String ref) {
      if (ref.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
        return ref;
      }
      return client.get("/api/v1/nodes/" + encode(ref)).getString("id", ref);
    }

    private static void param(StringBuilder q, String name, String value) {
      if (value != null) {
        q.append(q.length() == 0 ? '?' : '&').append(name).append('=').append(encode(value));
      }
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      long now = System.currentTimeMillis();
      Table t = new Table("ID", "TYPE", "STATE", "PRI", "ATTEMPTS", "NODE", "AGE", "REASON/ERROR");
      for (Object o : answer.getJsonArray("tasks", new JsonArray())) {
        JsonObject task = (JsonObject) o;
        String id = task.getString("id", "-");
        JsonObject err = task.getJsonObject("error");
        // The whole id: ids are time-ordered, so tasks made in the same minute share their first characters.
        t.row(id, task.getString("type"), task.getString("state"), String.valueOf(task.getValue("priority")),
            task.getInteger("attempts", 0) + "/" + task.getValue("maxAttempts"), node(task, false),
            age(task.getString("submittedAt"), now),
            cut(err != null ? error(err) : oneLine(task.getString("reason")), REASON_WIDTH));
      }
      t.print(out);
      if (answer.getValue("nextCursor") != null) {
        out.println("next page: --cursor " + answer.getValue("nextCursor"));
      }
    }
  }

  /** {@code task cancel ID}. */
  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a task that has not ended.")
  static final class Cancel extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The task id.")
    String id;

    @Option(names = "--reason", paramLabel = "TEXT",
        description = "Why, kept on the task. Default: cancelled through the API.")
    String reason;

    @Override
    JsonObject request(NodeApiClient client) {
      JsonObject body = new JsonObject();
      if (reason != null) {
        body.put("reason", reason);
      }
      return client.post(taskPath(id) + "/cancel", body);
    }

    @Override
    void print(JsonObject t, PrintWriter out) {
      out.println("task " + t.getString("id", id) + " cancelled");
    }
  }

  /** {@code task attempts ID}. */
  @Command(name = "attempts", mixinStandardHelpOptions = true,
      description = "Show every attempt of a task: where it ran, when, and how it ended.")
  static final class Attempts extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The task id.")
    String id;

    @Override
    JsonObject request(NodeApiClient client) {
      return client.get(taskPath(id) + "/attempts");
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      JsonArray attempts = answer.getJsonArray("attempts", new JsonArray());
      if (attempts.isEmpty()) {
        out.println("task " + answer.getString("id", id) + " has no attempts yet");
        return;
      }
      Table t = new Table("ATTEMPT", "NODE", "ASSIGNED", "STARTED", "ENDED", "OUTCOME", "ERROR");
      for (Object o : attempts) {
        JsonObject a = (JsonObject) o;
        String outcome = a.getString("outcome");
        t.row(String.valueOf(a.getValue("attempt")), name(a.getString("nodeName"), a.getString("nodeId")),
            a.getString("assignedAt"), a.getString("startedAt"), a.getString("endedAt"),
            outcome == null ? "(in progress)" : outcome, error(a.getJsonObject("error")));
      }
      t.print(out);
    }
  }

  /**
   * Follows a task by asking for it every {@link #POLL_MS}: prints a line whenever its state, attempt or node
   * changes, and whenever its progress changes while it runs; ends when the task does. A task that COMPLETED is
   * returned; one that FAILED or was CANCELLED, or one still going when the wait runs out, ends the command with
   * exit code 1.
   */
  static final class Follower {
    private final NodeApiClient client;
    private final String id;
    private final long waitTimeoutMs;
    private final PrintWriter out;
    private final boolean json;
    private String lastStep;
    private JsonObject lastProgress;

    /**
     * @param client the node's API
     * @param id the task
     * @param waitTimeoutMs how long to follow it
     * @param out the command's output
     * @param json whether to print only the final task's JSON instead of change lines
     */
    Follower(NodeApiClient client, String id, long waitTimeoutMs, PrintWriter out, boolean json) {
      this.client = client;
      this.id = id;
      this.waitTimeoutMs = waitTimeoutMs;
      this.out = out;
      this.json = json;
    }

    /**
     * @param known the task as already printed (just submitted), or {@code null} to print where it is first
     * @return the task, COMPLETED (the command prints it)
     */
    JsonObject follow(JsonObject known) {
      EventReader events = null;
      try {
        // Listen before reading, so no change between the read and the stream is missed.
        events = new EventReader(client.events("?subject=" + URLEncoder.encode(id, StandardCharsets.UTF_8),
            null));
      } catch (CliException e) {
        events = null; // a node without the event stream: poll
      }
      try {
        return follow(known, events);
      } finally {
        if (events != null) {
          events.close();
        }
      }
    }

    private JsonObject follow(JsonObject known, EventReader events) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, waitTimeoutMs));
      if (known != null) {
        lastStep = step(known);
        lastProgress = known.getJsonObject("progress");
        report(known);
      }
      JsonObject t = client.get(taskPath(id));
      while (true) {
        report(t);
        String state = t.getString("state", "");
        if ("COMPLETED".equals(state)) {
          return t;
        }
        if ("FAILED".equals(state) || "CANCELLED".equals(state)) {
          if (json) {
            // The final task is the output whatever its end; the exit code and stderr tell the failure.
            out.println(t.encode());
            out.flush();
          }
          JsonObject err = t.getJsonObject("error");
          // A cancel's error is {"code": "CANCELLED", "message": reason}: say CANCELLED once.
          String why = err == null ? oneLine(t.getString("reason"))
              : state.equals(err.getString("code")) ? oneLine(err.getString("message")) : error(err);
          throw new CliException(AkitaCommand.EXIT_FAILED, "task " + id + " " + state + ": "
              + (why == null ? "no reason given" : why));
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          String reason = oneLine(t.getString("reason"));
          throw new CliException(AkitaCommand.EXIT_FAILED, "gave up waiting after " + waitTimeoutMs + " ms: task "
              + id + " is still " + state + (reason == null ? "" : ", " + reason) + " (it goes on; follow it with "
              + "'akita task watch " + id + "' or stop it with 'akita task cancel " + id + "')");
        }
        long wait = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left));
        try {
          if (events != null && !events.ended()) {
            // The stream tells of each change; a running task's progress is not an event, so look now and then.
            events.next(Math.min(wait, "RUNNING".equals(state) ? PROGRESS_MS : wait));
          } else {
            Thread.sleep(Math.min(POLL_MS, wait));
          }
        } catch (EventReader.StreamEnded ended) {
          // the stream broke: poll from here on
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CliException(AkitaCommand.EXIT_FAILED, "interrupted while waiting for task " + id);
        }
        t = client.get(taskPath(id));
      }
    }

    private void report(JsonObject t) {
      if (json) {
        return;
      }
      String step = step(t);
      if (!step.equals(lastStep)) {
        lastStep = step;
        out.println(stepLine(t));
      }
      // Progress means something while an attempt runs; a finished task keeps its last, stale report.
      JsonObject p = t.getJsonObject("progress");
      if (p != null && !p.equals(lastProgress) && "RUNNING".equals(t.getString("state"))) {
        out.println(progress(p));
      }
      lastProgress = p;
      out.flush();
    }

    /** What a change line reports; for a waiting task also why it waits (such as no worker for its type). */
    private static String step(JsonObject t) {
      String state = t.getString("state");
      return state + "|" + t.getValue("attempts") + "|" + t.getString("nodeId")
          + ("PENDING".equals(state) ? "|" + t.getString("reason") : "");
    }

    /** @return one line for where the task is, such as {@code RUNNING on node-x (attempt 1)} */
    static String stepLine(JsonObject t) {
      String state = t.getString("state", "?");
      String node = node(t, false);
      int attempt = t.getInteger("attempts", 0);
      String reason = oneLine(t.getString("reason"));
      return switch (state) {
        case "ASSIGNED" -> "ASSIGNED to " + node + " (attempt " + attempt + ")";
        case "RUNNING" -> "RUNNING on " + node + " (attempt " + attempt + ")";
        case "COMPLETED" -> "COMPLETED on " + node + " (attempt " + attempt + ")";
        case "FAILED", "CANCELLED" -> state + (attempt > 0 ? " after attempt " + attempt + " on " + node : "");
        default -> state + (reason == null ? "" : " (" + reason + ")");
      };
    }
  }

  // ---- shared formatting --------------------------------------------------------------------------------

  /** Prints the end of a followed task that COMPLETED: its result. */
  static void printResult(JsonObject t, PrintWriter out) {
    Object result = t.getValue("result");
    out.println(result == null ? "{}" : result instanceof JsonObject o ? o.encodePrettily() : Json.encode(result));
  }

  static String taskPath(String id) {
    return "/api/v1/tasks/" + encode(id);
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** @return the node's name, with its id when asked, or {@code null} when the task has none */
  static String node(JsonObject t, boolean withId) {
    String id = t.getString("nodeId");
    String name = t.getString("nodeName");
    if (id == null) {
      return name;
    }
    if (name == null) {
      return withId ? id : shortId(id);
    }
    return withId ? name + " (" + id + ")" : name;
  }

  private static String name(String name, String id) {
    return name != null ? name : id == null ? null : shortId(id);
  }

  private static String shortId(String id) {
    return id.length() > 8 ? id.substring(0, 8) : id;
  }

  /** @return {@code 42% message}; the percentage is left out when unknown */
  static String progress(JsonObject p) {
    if (p == null) {
      return null;
    }
    Double fraction = p.getValue("fraction") instanceof Number n ? n.doubleValue() : null;
    String message = oneLine(p.getString("message"));
    String pct = fraction == null || fraction < 0 ? null : Math.round(fraction * 100) + "%";
    if (pct == null) {
      return message == null ? "(progress unknown)" : message;
    }
    return message == null ? pct : pct + " " + message;
  }

  /** @return {@code CODE: message}, or {@code null} for no error */
  static String error(JsonObject err) {
    if (err == null) {
      return null;
    }
    String message = oneLine(err.getString("message"));
    return err.getString("code", "ERROR") + (message == null ? "" : ": " + message);
  }

  private static String when(String iso, long now) {
    if (iso == null) {
      return null;
    }
    String age = age(iso, now);
    return age == null ? iso : iso + " (" + age + " ago)";
  }

  private static String age(String iso, long now) {
    if (iso == null) {
      return null;
    }
    try {
      return Table.duration(Duration.ofMillis(Math.max(0, now - Instant.parse(iso).toEpochMilli())));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** @return the text on one line (line breaks and tabs become spaces), or {@code null} */
  static String oneLine(String s) {
    return s == null ? null : s.strip().replaceAll("[\\r\\n\\t]+", " ");
  }

  static String cut(String s, int width) {
    return s == null || s.length() <= width ? s : s.substring(0, width - 3) + "...";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).strip();
  }
}
