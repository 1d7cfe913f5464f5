package akita.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * One measured run of no-op tasks through a door, paced one of two ways:
 * <ul>
 *   <li>closed loop (W1): as fast as the cluster accepts them, at most {@code window} submits unanswered;</li>
 *   <li>open loop (W2): task {@code i} is due at {@code start + i / rate}, and is sent when due whatever the
 *       cluster does; latencies count from the due time, so a stall is not hidden by sending later
 *       (no coordinated omission).</li>
 * </ul>
 * Submitting runs on one context; the ends arrive on another ({@link Completions}). The run is over when every
 * accepted task has been seen to end, or at the timeout.
 */
final class TaskRun {

  /** The most submits an open-loop run leaves unanswered before it counts the rate as not held. */
  static final int OPEN_LOOP_MAX_IN_FLIGHT = 100_000;
  /** The send lag (p99) above which the client itself did not keep the schedule. */
  static final double MAX_SEND_LAG_MS = 10;
  /** The share of the offered rate the cluster must complete for the rate to count as held. */
  static final double HELD_SHARE = 0.95;

  /**
   * How a run paces its submits.
   *
   * @param window closed loop: the most submits in flight; 0 for open loop
   * @param ratePerSecond open loop: the offered rate; 0 for closed loop
   */
  record Pacing(int window, double ratePerSecond) {

    static Pacing closed(int window) {
      return new Pacing(window, 0);
    }

    static Pacing open(double ratePerSecond) {
      return new Pacing(0, ratePerSecond);
    }

    boolean isOpen() {
      return ratePerSecond > 0;
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final Door door;
  private final String taskType;
  private final int tasks;
  private final Pacing pacing;
  private final long timeoutMs;
  private final Completions completions;
  private final Histogram accept = Latency.histogram();
  private final Histogram lag = Latency.histogram();
  /** The width of the windows of submit time {@link Completions#slowest} counts the slowest tasks in. */
  static final long SLOW_WINDOW_MS = 100;
  private final Promise<Void> submitsDone = Promise.promise();
  private final Promise<JsonObject> result = Promise.promise();
  private long firstNanos;
  private long lastAcceptNanos;
  private int next;
  private int inFlight;
  private int accepted;
  private int errors;
  private int dropped;
  private String firstError;
  private long ticker = -1;
  private long timeout = -1;
  private boolean finished;
  private boolean pumping;

  private TaskRun(Vertx vertx, Context submitContext, Context doneContext, Door door, String taskType, int tasks,
      Pacing pacing, long timeoutMs, boolean startTimes) {
    this(vertx, submitContext, door, taskType, tasks, pacing, timeoutMs,
        new Completions(vertx, doneContext, tasks, Completions.Clock.now(), startTimes));
  }

  private TaskRun(Vertx vertx, Context submitContext, Door door, String taskType, int tasks, Pacing pacing,
      long timeoutMs, Completions completions) {
    this.vertx = vertx;
    this.context = submitContext;
    this.door = door;
    this.taskType = taskType;
    this.tasks = tasks;
    this.pacing = pacing;
    this.timeoutMs = timeoutMs;
    this.completions = completions;
  }

  /**
   * Runs once.
   *
   * @param vertx the client's clustered Vert.x
   * @param submitContext the context that submits
   * @param doneContext the context that receives the ends
   * @param door the way in
   * @param taskType the task type (a no-op)
   * @param tasks how many tasks
   * @param pacing closed or open loop
   * @param timeoutMs when to give up on the run
   * @param startTimes whether to measure submit → start too
   * @return the run's figures (see docs/benchmarks.md); {@code "ok": false} with {@code "error"} if the run did
   *     not finish cleanly
   */
  static Future<JsonObject> run(Vertx vertx, Context submitContext, Context doneContext, Door door, String taskType,
      int tasks, Pacing pacing, long timeoutMs, boolean startTimes) {
    TaskRun r = new TaskRun(vertx, submitContext, doneContext, door, taskType, tasks, pacing, timeoutMs, startTimes);
    return r.completions.listen().compose(v -> {
      submitContext.runOnContext(x -> r.begin());
      return r.result.future();
    });
  }

  /**
   * Only submits, closed loop, and does not wait for the tasks to end (they carry no notify address): for
   * filling a queue.
   *
   * @return the submit figures: {@code {"tasks", "accepted", "errors", "submitPerSecond", "acceptLatencyMs",
   *     "ok", "error"?}}
   */
  static Future<JsonObject> submitOnly(Vertx vertx, Context submitContext, Door door, String taskType, int tasks,
      int window, long timeoutMs) {
    TaskRun r = new TaskRun(vertx, submitContext, door, taskType, tasks, Pacing.closed(window), timeoutMs, null);
    submitContext.runOnContext(x -> r.begin());
    return r.result.future();
  }

  private void begin() {
    timeout = vertx.setTimer(timeoutMs, t -> finish("the run did not finish within " + timeoutMs + " ms"));
    Future.all(submitsDone.future(), completions == null ? Future.succeededFuture() : completions.done())
        .onComplete(ar -> context.runOnContext(v -> finish(null)));
    firstNanos = System.nanoTime();
    if (tasks == 0) {
      submitsDone.tryComplete();
    } else if (pacing.isOpen()) {
      tick();
      if (next < tasks) {
        ticker = vertx.setPeriodic(1, t -> tick());
      }
    } else {
      pump();
    }
  }

  private void pump() {
    if (pumping) {
      return; // a submit that completed at once: the loop below goes on
    }
    pumping = true;
    try {
      while (inFlight < pacing.window() && next < tasks) {
        send(next++, System.nanoTime());
      }
    } finally {
      pumping = false;
    }
  }

  private void tick() {
    long now = System.nanoTime();
    long due = Math.min(tasks, (long) Math.floor((now - firstNanos) * pacing.ratePerSecond() / 1e9) + 1);
    while (next < due) {
      long scheduled = firstNanos + Math.round(next * 1e9 / pacing.ratePerSecond());
      Latency.record(lag, now - scheduled);
      if (inFlight >= OPEN_LOOP_MAX_IN_FLIGHT) {
        next++;
        dropped++;
        failed("more than " + OPEN_LOOP_MAX_IN_FLIGHT + " submits unanswered: the cluster is not keeping up");
        continue;
      }
      send(next++, scheduled);
    }
    if (next >= tasks && ticker >= 0) {
      vertx.cancelTimer(ticker);
      ticker = -1;
    }
  }

  private void send(int i, long scheduled) {
    JsonObject task = new JsonObject().put("type", taskType)
        .put("payload", new JsonObject().put(Completions.INDEX, i).put(Completions.SENT, scheduled));
    if (completions != null) {
      task.put("notify", completions.address());
    }
    inFlight++;
    door.submit(task).onComplete(ar -> {
      inFlight--;
      if (ar.succeeded()) {
        accepted++;
        lastAcceptNanos = System.nanoTime();
        Latency.record(accept, lastAcceptNanos - scheduled);
      } else {
        failed(ar.cause().getMessage());
      }
      if (!pacing.isOpen()) {
        pump();
      }
      checkSubmitsDone();
    });
  }

  private void failed(String why) {
    errors++;
    if (firstError == null) {
      firstError = why;
    }
    if (completions != null) {
      completions.lower(1);
    }
    checkSubmitsDone();
  }

  private void checkSubmitsDone() {
    if (next >= tasks && inFlight == 0) {
      submitsDone.tryComplete();
    }
  }

  private void finish(String error) {
    if (finished) {
      return;
    }
    finished = true;
    vertx.cancelTimer(timeout);
    if (ticker >= 0) {
      vertx.cancelTimer(ticker);
    }
    if (completions == null) {
      result.complete(submitFigures(error));
      return;
    }
    // Once the consumer is gone its fields no longer change and may be read here.
    completions.close().onComplete(v -> context.runOnContext(x -> result.complete(figures(error))));
  }

  private JsonObject submitFigures(String error) {
    double acceptSeconds = Math.max(1, lastAcceptNanos - firstNanos) / 1e9;
    JsonObject o = new JsonObject().put("tasks", tasks).put("accepted", accepted).put("errors", errors)
        .put("durationMs", Math.round(acceptSeconds * 1e3)).put("submitPerSecond", round(accepted / acceptSeconds))
        .put("acceptLatencyMs", Latency.json(accept));
    String why = error != null ? error : errors > 0 ? errors + " submits failed, the first: " + firstError : null;
    o.put("ok", why == null);
    if (why != null) {
      o.put("error", why);
    }
    return o;
  }

  private JsonObject figures(String error) {
    int completed = completions.count();
    double seconds = Math.max(1, completions.lastNanos() - firstNanos) / 1e9;
    double acceptSeconds = Math.max(1, lastAcceptNanos - firstNanos) / 1e9;
    JsonObject o = new JsonObject()
        .put("tasks", tasks)
        .put("accepted", accepted)
        .put("completed", completed)
        .put("notCompleted", completions.notCompleted())
        .put("errors", errors)
        .put("duplicates", completions.duplicates())
        .put("durationMs", Math.round(seconds * 1e3))
        .put("tasksPerSecond", round(completed / seconds))
        .put("submitPerSecond", round(accepted / acceptSeconds))
        .put("latencyMs", Latency.json(completions.resultLatency()))
        .put("acceptLatencyMs", Latency.json(accept));
    if (pacing.isOpen()) {
      JsonObject lagMs = Latency.json(lag);
      boolean held = rateHeld(tasks, completed, errors + dropped, lagMs.getDouble("p99"), completed / seconds,
          pacing.ratePerSecond());
      o.put("offeredPerSecond", pacing.ratePerSecond())
          .put("startLatencyMs", Latency.json(completions.startLatency()))
          .put("sendLagMs", lagMs)
          .put("rateHeld", held)
          .put("slowest", completions.slowest(firstNanos, SLOW_WINDOW_MS));
    } else {
      o.put("window", pacing.window());
    }
    String why = error != null ? error
        : errors > 0 ? errors + " submits failed, the first: " + firstError
        : completed < tasks ? (tasks - completed) + " tasks were not seen to end"
        : completions.notCompleted() > 0 ? completions.notCompleted() + " tasks did not complete" : null;
    o.put("ok", why == null);
    if (why != null) {
      o.put("error", why);
    }
    return o;
  }

  /**
   * Whether an open-loop run held its offered rate: every task was submitted and ended, the client sent each
   * on time (p99 send lag at most {@value #MAX_SEND_LAG_MS} ms, so the client was not the limit), and the
   * tasks ended at no less than {@value #HELD_SHARE} of the offered rate, first send to last end (so no
   * backlog built up).
   */
  static boolean rateHeld(int tasks, int completed, int failedSubmits, double sendLagP99Ms, double achievedPerSecond,
      double offeredPerSecond) {
    return failedSubmits == 0 && completed == tasks && sendLagP99Ms <= MAX_SEND_LAG_MS
        && achievedPerSecond >= HELD_SHARE * offeredPerSecond;
  }

  static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
