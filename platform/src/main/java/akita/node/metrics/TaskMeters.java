package akita.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Task counters and latency histograms, derived from the scheduler's state changes
 * ({@link akita.node.tasks.TaskAddresses#TRANSITIONS}). Only the acting leader sees those, so only its counters
 * move; summed over the cluster's nodes they count every task once, across leader changes.
 */
final class TaskMeters {

  /** Error codes that mean an attempt or a task ran out of time. */
  static final Set<String> TIMEOUT_CODES = Set.of("TIMEOUT", "ACK_TIMEOUT", "DEADLINE_EXCEEDED");

  /** Bucket bounds of both latency histograms: from a millisecond to ten minutes. */
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(300),
      Duration.ofSeconds(600)};

  /** A RETRYING transition carries its cause at the start of its reason: {@code "TIMEOUT: ..."}. */
  private static final Pattern REASON_CODE = Pattern.compile("^([A-Z][A-Z0-9_]{0,63}):");
  private static final Pattern CODE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");

  private final MeterRegistry registry;
  private final Map<Key, Counter> counters = new HashMap<>();
  private final Map<Key, Timer> timers = new HashMap<>();

  /**
   * A meter's name and tags: a record of strings whose hashes are cached, where a concatenated key was built and
   * hashed anew for every transition (1.6 % of the leader's event-loop samples in W2).
   */
  private record Key(String name, String type, String tag) {
  }

  TaskMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Counts a batch of state changes.
   *
   * @param transitions {@code [{"id", "taskType", "from", "state", "attempt", "reason", "submittedAt", "at",
   *     "error"?}]}
   */
  void onTransitions(JsonArray transitions) {
    for (Object o : transitions) {
      if (o instanceof JsonObject t) {
        onTransition(t);
      }
    }
  }

  private void onTransition(JsonObject t) {
    String type = t.getString("taskType", "unknown");
    String state = t.getString("state", "");
    String from = t.getString("from");
    long submittedAt = t.getLong("submittedAt", 0L);
    long at = t.getLong("at", System.currentTimeMillis());
    if (from == null) {
      counter("akita.tasks.submitted", "Tasks submitted, by task type", type, null).increment();
    }
    switch (state) {
      case "ASSIGNED" -> {
        if ("PENDING".equals(from) && t.getInteger("attempt", 0) == 1 && submittedAt > 0) {
          timer("akita.task.scheduling.latency", "Time from a task's submit to its first assignment to a worker",
              type, null).record(Math.max(0, at - submittedAt), TimeUnit.MILLISECONDS);
        }
      }
      case "RETRYING" -> {
        String code = code(t);
        counter("akita.tasks.retries", "Failed attempts that will be retried, by task type and error code",
            type, code).increment();
        countTimeout(type, code);
      }
      case "COMPLETED", "FAILED", "CANCELLED" -> {
        if ("COMPLETED".equals(state)) {
          counter("akita.tasks.completed", "Tasks completed, by task type", type, null).increment();
        } else if ("CANCELLED".equals(state)) {
          counter("akita.tasks.cancelled", "Tasks cancelled, by task type", type, null).increment();
        } else {
          String code = code(t);
          counter("akita.tasks.failed", "Tasks that ended FAILED, by task type and error code", type, code)
              .increment();
          countTimeout(type, code);
        }
        if (submittedAt > 0) {
          endToEnd(type, state).record(Math.max(0, at - submittedAt), TimeUnit.MILLISECONDS);
        }
      }
      default -> { }
    }
  }

  private void countTimeout(String type, String code) {
    if (TIMEOUT_CODES.contains(code)) {
      counter("akita.tasks.timeouts", "Attempts or tasks that ran out of time (retried or not), by task type and "
          + "code: TIMEOUT, ACK_TIMEOUT, DEADLINE_EXCEEDED", type, code).increment();
    }
  }

  /** The error code of a failure: the error's own, else the one the reason starts with; never free text. */
  static String code(JsonObject t) {
    String code = null;
    if (t.getValue("error") instanceof JsonObject e && e.getValue("code") instanceof String c) {
      code = c;
    } else if (t.getValue("reason") instanceof String reason) {
      Matcher m = REASON_CODE.matcher(reason);
      if (m.find()) {
        code = m.group(1);
      }
    }
    if (code == null) {
      return "UNKNOWN";
    }
    // Plugins choose their codes; anything but a short UPPER_SNAKE word would make a label of free text.
    return CODE.matcher(code).matches() ? code : "OTHER";
  }

  private Counter counter(String name, String help, String type, String code) {
    Key key = new Key(name, type, code);
    Counter c = counters.get(key);
    if (c == null) {
      Counter.Builder b = Counter.builder(name).description(help).tag("type", type);
      if (code != null) {
        b.tag("code", code);
      }
      c = b.register(registry);
      counters.put(key, c);
    }
    return c;
  }

  private Timer timer(String name, String help, String type, String state) {
    Key key = new Key(name, type, state);
    Timer tm = timers.get(key);
    if (tm == null) {
      Timer.Builder b = Timer.builder(name).description(help).tag("type", type).serviceLevelObjectives(BUCKETS);
      if (state != null) {
        b.tag("state", state);
      }
      tm = b.register(registry);
      timers.put(key, tm);
    }
    return tm;
  }

  private Timer endToEnd(String type, String state) {
    return timer("akita.task.end.to.end.latency", "Time from a task's submit to its end (COMPLETED, FAILED or "
        + "CANCELLED)", type, state);
  }
}
