package akita.bench;

import akita.api.client.JsonTextCodec;
import akita.api.client.TaskClient;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.HdrHistogram.Histogram;

/**
 * The ends of one run's tasks, as the client sees them: the leader sends every ended task to the task's
 * {@code notify} address (a batch per message), here the run's own consumer. Each task's payload carries its
 * index and the {@link System#nanoTime()} it was (meant to be) submitted at, so the latency needs no lookup.
 * Everything here runs on one context, so the histograms need no locking.
 */
final class Completions {

  /** The payload field with the task's index in the run. */
  static final String INDEX = "i";
  /** The payload field with the task's submit time, {@link System#nanoTime()} of this JVM. */
  static final String SENT = "t0";

  private final Vertx vertx;
  private final Context context;
  private final int tasks;
  private final Clock clock;
  private final boolean startTimes;
  /** Under the prefix that takes ended tasks as the leader stored them (JSON text), as a TaskClient's does. */
  private final String address = TaskClient.TEXT_NOTIFY_PREFIX + "bench-" + UUID.randomUUID();
  private final BitSet seen = new BitSet();
  private final Histogram result = Latency.histogram();
  private final Histogram start = Latency.histogram();
  /** Each task's submit time ({@link System#nanoTime()}) and latency (µs), by index, for {@link #slowest}. */
  private final long[] sentNanos;
  private final int[] latencyMicros;
  /**
   * Each task's times as the leader stamped them (ISO text, parsed only for {@link #slowest}): submitted,
   * assigned, acknowledged, started (the leader stamps the worker's report as it arrives) and finished. Kept
   * when start times are measured (W2).
   */
  private final String[][] stamps;
  private static final String[] STAGES = {"toLeader", "queued", "toWorker", "toStartReport", "toEnd", "toClient"};
  private final Promise<Void> done = Promise.promise();
  private MessageConsumer<JsonObject> consumer;
  private int count;
  private int notCompleted;
  private int duplicates;
  private int target;
  private long lastNanos;

  /** Maps this JVM's {@link System#nanoTime()} to wall-clock time, for comparing with the nodes' timestamps. */
  record Clock(long nanoBase, long epochMsBase) {

    /** @return a clock anchored now */
    static Clock now() {
      return new Clock(System.nanoTime(), System.currentTimeMillis());
    }

    /** @return the wall-clock time in ms (fractional) of a {@link System#nanoTime()} reading */
    double epochMs(long nanos) {
      return epochMsBase + (nanos - nanoBase) / 1e6;
    }
  }

  /**
   * @param vertx the client's clustered Vert.x
   * @param context the context the consumer runs on
   * @param tasks how many tasks the run submits (indexes 0 to tasks - 1)
   * @param clock the run's clock
   * @param startTimes whether to record submit → start from each task's attempt history
   */
  Completions(Vertx vertx, Context context, int tasks, Clock clock, boolean startTimes) {
    this.vertx = vertx;
    this.context = context;
    this.tasks = tasks;
    this.target = tasks;
    this.clock = clock;
    this.startTimes = startTimes;
    this.sentNanos = new long[tasks];
    this.latencyMicros = new int[tasks];
    this.stamps = startTimes ? new String[tasks][] : null;
  }

  /** @return the address to put in each task's {@code notify} field */
  String address() {
    return address;
  }

  /** @return completed once the consumer is registered across the cluster */
  Future<Void> listen() {
    Promise<Void> p = Promise.promise();
    JsonTextCodec.register(vertx);
    context.runOnContext(v -> {
      consumer = vertx.eventBus().consumer(address, this::onMessage);
      consumer.completion().onComplete(p);
    });
    return p.future();
  }

  /** @return completed (on the consumer's context) once every task that was accepted has been seen to end */
  Future<Void> done() {
    return done.future();
  }

  /**
   * Tells that some submits failed, so fewer ends are coming. Thread-safe.
   *
   * @param failed how many more submits failed
   */
  void lower(int failed) {
    context.runOnContext(v -> {
      target -= failed;
      check();
    });
  }

  private void onMessage(Message<JsonObject> m) {
    long now = System.nanoTime();
    if (!(m.body().getValue("tasks") instanceof JsonArray list)) {
      return;
    }
    for (Object o : list) {
      if (!(o instanceof JsonObject t) || !(t.getValue("payload") instanceof JsonObject p)) {
        continue;
      }
      int i = p.getInteger(INDEX, -1);
      if (i < 0 || i >= tasks || seen.get(i)) {
        duplicates++;
        continue;
      }
      seen.set(i);
      count++;
      lastNanos = now;
      long sent = p.getLong(SENT, now);
      Latency.record(result, now - sent);
      sentNanos[i] = sent;
      latencyMicros[i] = (int) Math.min(Integer.MAX_VALUE, Math.max(0, (now - sent) / 1_000));
      if (!"COMPLETED".equals(t.getString("state"))) {
        notCompleted++;
      }
      if (startTimes) {
        recordStart(t, sent);
        JsonArray h = t.getJsonArray("attemptHistory");
        JsonObject last = h == null || h.isEmpty() ? new JsonObject() : h.getJsonObject(h.size() - 1);
        stamps[i] = new String[] {t.getString("submittedAt"), last.getString("assignedAt"),
            last.getString("ackedAt"), last.getString("startedAt"), t.getString("finishedAt")};
      }
    }
    check();
  }

  /** Submit → start: the leader stamps the attempt's {@code startedAt} (ms) when the worker reports it. */
  private void recordStart(JsonObject t, long sent) {
    JsonArray history = t.getJsonArray("attemptHistory");
    if (history == null || history.isEmpty()) {
      return;
    }
    String at = history.getJsonObject(history.size() - 1).getString("startedAt");
    if (at == null) {
      return;
    }
    try {
      double ms = Instant.parse(at).toEpochMilli() - clock.epochMs(sent);
      Latency.record(start, Math.round(ms * 1e6));
    } catch (DateTimeParseException e) {
      // not a timestamp: leave it out
    }
  }

  private void check() {
    if (count >= target) {
      done.tryComplete();
    }
  }

  /** @return completed once the consumer is removed; call on any thread */
  Future<Void> close() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      if (consumer == null) {
        p.complete();
      } else {
        consumer.unregister().onComplete(p);
      }
    });
    return p.future();
  }

  // Read these once done() has completed (or the run gave up), on the consumer's context.

  /** @return how many distinct tasks were seen to end */
  int count() {
    return count;
  }

  /** @return how many of them ended in a state other than COMPLETED */
  int notCompleted() {
    return notCompleted;
  }

  /** @return how many reports were for a task already seen (or not of this run) */
  int duplicates() {
    return duplicates;
  }

  /** @return when the last end was seen ({@link System#nanoTime()}) */
  long lastNanos() {
    return lastNanos;
  }

  /** @return submit → result seen, in µs */
  Histogram resultLatency() {
    return result;
  }

  /**
   * Where in the run the slowest tasks were submitted: whether the tasks slower than the run's p99 came from a
   * few stalls (a pause, a hiccup of one node) or from waits spread over the run (every stage queueing).
   *
   * @param firstNanos when the run's first task was due ({@link System#nanoTime()})
   * @param windowMs the width of a window of submit time
   * @return {@code {"overMs", "tasks", "windowMs", "windows", "windowsWithHalf", "worst": [{"atMs", "at",
   *     "tasks", "maxMs"}]}}: the tasks over the p99, how many windows of the run had any, how few of those
   *     hold half of them, and the three windows with the most ({@code atMs} from the first submit, {@code at}
   *     as a wall-clock time to find in the nodes' logs and recordings)
   */
  JsonObject slowest(long firstNanos, long windowMs) {
    long over = result.getTotalCount() == 0 ? Long.MAX_VALUE : result.getValueAtPercentile(99);
    long width = windowMs * 1_000_000;
    Map<Long, int[]> windows = new HashMap<>(); // window → {tasks over, max µs}
    int slow = 0;
    for (int i = seen.nextSetBit(0); i >= 0; i = seen.nextSetBit(i + 1)) {
      if (latencyMicros[i] > over) {
        int[] w = windows.computeIfAbsent(Math.max(0, sentNanos[i] - firstNanos) / width, k -> new int[2]);
        w[0]++;
        w[1] = Math.max(w[1], latencyMicros[i]);
        slow++;
      }
    }
    List<Map.Entry<Long, int[]>> byCount = new ArrayList<>(windows.entrySet());
    byCount.sort((a, b) -> a.getValue()[0] != b.getValue()[0] ? Integer.compare(b.getValue()[0], a.getValue()[0])
        : Long.compare(a.getKey(), b.getKey()));
    int half = 0;
    for (int covered = 0; covered * 2 < slow; half++) {
      covered += byCount.get(half).getValue()[0];
    }
    JsonArray worst = new JsonArray();
    for (var e : byCount.subList(0, Math.min(3, byCount.size()))) {
      long atMs = e.getKey() * windowMs;
      worst.add(new JsonObject().put("atMs", atMs)
          .put("at", Instant.ofEpochMilli(Math.round(clock.epochMs(firstNanos + atMs * 1_000_000))).toString())
          .put("tasks", e.getValue()[0]).put("maxMs", e.getValue()[1] / 1_000.0));
    }
    JsonObject o = new JsonObject().put("overMs", over == Long.MAX_VALUE ? 0.0 : over / 1_000.0)
        .put("tasks", slow).put("windowMs", windowMs).put("windows", windows.size()).put("windowsWithHalf", half)
        .put("worst", worst);
    if (stamps != null) {
      o.put("stagesMs", new JsonObject().put("all", stages(-1)).put("slowest", stages(over)));
    }
    return o;
  }

  /**
   * @param over the latency (µs) a task must exceed to count, -1 for all
   * @return the median of each stage of those tasks (ms, wall-clock, the leader's stamps have ms resolution):
   *     {@code toLeader} (sent → submitted), {@code queued} (→ assigned: the submit's flush and the queue),
   *     {@code toWorker} (→ acknowledged by the worker), {@code toStartReport} (→ its start report reached the
   *     leader), {@code toEnd} (→ ended), {@code toClient} (→ seen here: the end's flush and the notice)
   */
  private JsonObject stages(long over) {
    List<double[]> rows = new ArrayList<>();
    for (int i = seen.nextSetBit(0); i >= 0; i = seen.nextSetBit(i + 1)) {
      String[] st = stamps[i];
      if (latencyMicros[i] <= over || st == null || Arrays.asList(st).contains(null)) {
        continue;
      }
      try {
        double sent = clock.epochMs(sentNanos[i]);
        double seenAt = clock.epochMs(sentNanos[i] + latencyMicros[i] * 1_000L);
        double[] at = new double[st.length];
        for (int k = 0; k < st.length; k++) {
          at[k] = Instant.parse(st[k]).toEpochMilli();
        }
        rows.add(new double[] {at[0] - sent, at[1] - at[0], at[2] - at[1], at[3] - at[2], at[4] - at[3],
            seenAt - at[4]});
      } catch (DateTimeParseException e) {
        // not timestamps: left out
      }
    }
    JsonObject o = new JsonObject().put("count", rows.size());
    for (int k = 0; k < STAGES.length && !rows.isEmpty(); k++) {
      double[] v = new double[rows.size()];
      for (int r = 0; r < v.length; r++) {
        v[r] = rows.get(r)[k];
      }
      Arrays.sort(v);
      o.put(STAGES[k], Math.round(v[v.length / 2] * 10) / 10.0);
    }
    return o;
  }

  /** @return submit → start, in µs (millisecond resolution: the nodes stamp ms) */
  Histogram startLatency() {
    return start;
  }
}
