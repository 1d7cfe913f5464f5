package akita.plugins.example;

import akita.api.task.ExecutorContext;
import akita.api.task.TaskContext;
import akita.api.task.TaskException;
import akita.api.task.TaskExecutor;
import akita.api.task.TaskProgress;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import org.pf4j.Extension;

/**
 * Task type {@code example.greet}: greets a name a few times. It is deliberately small, and it exists to be
 * copied: it shows every part a real executor has, each explained where it happens.
 *
 * <ul>
 *   <li>checking the payload and failing with {@code INVALID_PAYLOAD} ({@link Request#parse});
 *   <li>reading the plugin's configuration once, when the plugin loads ({@link #start});
 *   <li>reporting progress ({@link TaskContext#progress});
 *   <li>doing blocking work (file I/O) on the worker pool, never on the event loop
 *       ({@link TaskContext#executeBlocking});
 *   <li>waiting without blocking, and stopping when the attempt is cancelled ({@link #pause}).
 * </ul>
 *
 * <p>Payload: {@code {"name": "Ada", "times": 2, "delayMs": 0}}; {@code name} is required, {@code times} is 1 to
 * 10 (default 1), {@code delayMs} is a pause of 0 to 5000 ms between greetings (default 0), there to make progress
 * and cancellation easy to watch. Result: {@code {"greeting": "Hello, Ada!", "times": 2, "lines": ["Hello, Ada!",
 * "Hello, Ada!"]}}. Plugin config: {@code {"greeting": "Hello"}}.
 */
// @Extension is what makes PF4J find this class: at compile time PF4J's annotation processor lists every
// @Extension class in META-INF/extensions.idx, and the node creates one instance of each when it loads the jar.
@Extension
public final class GreetExecutor implements TaskExecutor {

  /** The greeting used when the plugin config does not set one. */
  static final String DEFAULT_GREETING = "Hello";

  // Task types are global on a node: two plugins must not claim the same one. Prefix yours with the plugin's
  // name ("example.") so they cannot clash with someone else's "greet".
  private static final Set<String> TYPES = Set.of("example.greet");

  // One instance serves every attempt of this type, concurrently, from several threads. Keep per-attempt state
  // in local variables; fields like this one are set once in start() and only read afterwards (volatile makes
  // that write visible to the threads execute() runs on).
  private volatile String greeting = DEFAULT_GREETING;

  @Override
  public Set<String> taskTypes() {
    return TYPES;
  }

  /**
   * Reads the plugin's configuration. The node calls this once, after loading the jar and before the first task.
   * The configuration is {@code <data dir>/plugins-data/example/config.json}, overlaid with
   * {@code config.local.json} next to it; it is an empty object when there is neither.
   */
  @Override
  public Future<Void> start(ExecutorContext context) {
    Object value = context.config().getValue("greeting");
    if (value != null) {
      if (!(value instanceof String text) || text.isBlank()) {
        // A failed start refuses the whole plugin, with this message in the node's log and in the plugin
        // list. That is better than accepting tasks that would all fail later for the same reason.
        return Future.failedFuture(new IllegalArgumentException("greeting in the example plugin's config must be "
            + "a non-empty string, not " + value));
      }
      greeting = text.strip();
    }
    // This logger tags every line with the plugin id. While a task runs, use context.logger() of the
    // TaskContext instead: it tags lines with the task id and attempt too.
    context.logger().info("greeting with \"{}\"", greeting);
    // Nothing here waits, so the future is already complete. An executor that connects to something at start
    // returns the future of that connection: the node waits for it (up to 30 s) before routing tasks here.
    return Future.succeededFuture();
  }

  /**
   * Releases what {@link #start} acquired. This executor holds nothing; one that made clients, pools or timers in
   * start() closes them here, because the plugin's classes are unloaded right after.
   */
  @Override
  public Future<Void> stop() {
    return Future.succeededFuture();
  }

  /**
   * Runs one attempt. Called on an event-loop thread: it must return at once, so everything slow happens in
   * the futures it chains. It never throws; every failure is a failed future.
   */
  @Override
  public Future<JsonObject> execute(TaskContext context) {
    // 1. Check the payload first. A bad payload fails with INVALID_PAYLOAD, which is never retried: another
    //    attempt would get the same payload.
    Request request;
    try {
      request = Request.parse(context.payload());
    } catch (TaskException e) {
      return Future.failedFuture(e);
    }
    String line = greeting + ", " + request.name() + "!";
    context.logger().debug("greeting {} {} time(s)", request.name(), request.times());
    context.progress(new TaskProgress(0, "starting"));

    // 2. Do the work: write the greeting into a file, once per time, then read the file back.
    //
    //    File I/O blocks the calling thread. On an event loop that would stall every other task, timer and
    //    request sharing that thread, so it goes through context.executeBlocking, which runs it on the worker pool
    //    reserved for task executors. Even context.scratchDir() creates a folder on first use, so it is called
    //    there too. The scratch folder belongs to this attempt and is deleted when the attempt ends.
    Future<Path> file = context.executeBlocking(() -> {
      Path f = context.scratchDir().resolve("greeting.txt");
      Files.writeString(f, "", StandardCharsets.UTF_8);
      return f;
    });
    return file
        .compose(f -> greet(context, f, line, request, 0))
        .compose(f -> context.executeBlocking(() -> Files.readAllLines(f, StandardCharsets.UTF_8)))
        // 3. The result is any JSON object; it is stored with the task and returned to whoever asks for it.
        .map(lines -> new JsonObject()
            .put("greeting", line)
            .put("times", request.times())
            .put("lines", new JsonArray(List.copyOf(lines))));
  }

  /**
   * Appends the greeting to the file {@code request.times()} times, pausing between greetings and reporting
   * progress after each one. Each step is chained on the previous one's future, which is how a loop is written
   * without blocking a thread.
   *
   * @return the file, once all greetings are written
   */
  private Future<Path> greet(TaskContext context, Path file, String line, Request request, int written) {
    if (written == request.times()) {
      return Future.succeededFuture(file);
    }
    return pause(context, written == 0 ? 0 : request.delayMs())
        .compose(v -> context.executeBlocking(() -> {
          Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
          return null;
        }))
        .compose(v -> {
          int now = written + 1;
          // Progress is cheap; report whenever something visible happened. The fraction is 0 to 1, or negative
          // when you cannot tell how far along you are.
          context.progress(new TaskProgress((double) now / request.times(),
              "greeted " + now + " of " + request.times() + " times"));
          return greet(context, file, line, request, now);
        });
  }

  /**
   * Waits {@code ms} milliseconds without holding a thread, and fails with {@code CANCELLED} as soon as the
   * attempt is cancelled (by a user, by its deadline, or because the node or plugin is stopping). Any executor
   * that waits for something (a timer, a reply, a process) should race that wait against
   * {@link TaskContext#cancellation()} like this, and release what it holds when cancellation wins.
   */
  private static Future<Void> pause(TaskContext context, long ms) {
    Future<String> cancellation = context.cancellation();
    if (cancellation.isComplete()) {
      return Future.failedFuture(cancelled(cancellation.result()));
    }
    if (ms == 0) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    long timer = context.vertx().setTimer(ms, id -> done.tryComplete());
    cancellation.onSuccess(reason -> {
      context.vertx().cancelTimer(timer);
      done.tryFail(cancelled(reason));
    });
    return done.future();
  }

  /** CANCELLED is not retryable: someone (or the deadline) decided this attempt should stop. */
  private static TaskException cancelled(String reason) {
    return new TaskException(TaskException.CANCELLED, "cancelled: " + reason, false);
  }

  /**
   * A checked {@code example.greet} payload. Parsing the payload into a record up front keeps the checks in one
   * place and lets the rest of the executor trust its input.
   *
   * @param name who to greet
   * @param times how many times, 1 to 10
   * @param delayMs the pause between greetings, 0 to 5000 ms
   */
  record Request(String name, int times, long delayMs) {

    static final int MAX_TIMES = 10;
    static final long MAX_DELAY_MS = 5_000;
    private static final int MAX_NAME_LENGTH = 200;
    private static final Set<String> FIELDS = Set.of("name", "times", "delayMs");

    /**
     * @param payload the task's payload
     * @return the request
     * @throws TaskException {@code INVALID_PAYLOAD}, with a message that names the field and says what is expected
     */
    static Request parse(JsonObject payload) {
      // Refusing unknown fields turns a typo ("time" for "times") into a clear error instead of a silent default.
      for (String field : payload.fieldNames()) {
        if (!FIELDS.contains(field)) {
          throw TaskException.invalidPayload("unknown field '" + field + "'; example.greet takes name, times and "
              + "delayMs");
        }
      }
      // Read fields with getValue and check the type yourself: JsonObject.getString and friends throw a
      // ClassCastException on a wrong type, which would reach the user as a confusing message.
      Object name = payload.getValue("name");
      if (name == null) {
        throw TaskException.invalidPayload("name is required: who to greet, such as \"Ada\"");
      }
      if (!(name instanceof String text) || text.isBlank()) {
        throw TaskException.invalidPayload("name must be a non-empty string, not " + name);
      }
      if (text.length() > MAX_NAME_LENGTH) {
        throw TaskException.invalidPayload("name must be at most " + MAX_NAME_LENGTH + " characters long");
      }
      return new Request(text.strip(), (int) whole(payload, "times", 1, 1, MAX_TIMES),
          whole(payload, "delayMs", 0, 0, MAX_DELAY_MS));
    }

    /** @return the field's value, or {@code absent} when the payload does not have it */
    private static long whole(JsonObject payload, String field, long absent, long min, long max) {
      Object value = payload.getValue(field);
      if (value == null) {
        return absent;
      }
      // JSON numbers arrive as Integer or Long for whole numbers, as Double otherwise; 2.5 is not a count.
      if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < min
          || ((Number) value).longValue() > max) {
        throw TaskException.invalidPayload(field + " must be a whole number from " + min + " to " + max + ", not "
            + value);
      }
      return ((Number) value).longValue();
    }
  }
}
