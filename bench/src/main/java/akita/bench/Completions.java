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
import java.util.BitSet;
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
      if (!"COMPLETED".equals(t.getString("state"))) {
        notCompleted++;
      }
      if (startTimes) {
        recordStart(t, sent);
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

  /** @return submit → start, in µs (millisecond resolution: the nodes stamp ms) */
  Histogram startLatency() {
    return start;
  }
}
