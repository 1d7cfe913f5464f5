package akita.node.tasks;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The scheduler's timers: when a task may be placed, when the leader gives up on an attempt, when a task's
 * deadline passes. A task has at most one timer of each kind: a new one replaces the last (whose condition the
 * new one supersedes), and a task that ends takes its timers with it ({@link #cancel}). So the set holds the
 * timers of live tasks only. A heap that kept every timer until it fired held two per task for the attempt
 * timeout (a minute by default) after a no-op task had ended in milliseconds: 120,000 at 1,000 tasks/s, each
 * one copied by the young collections until promoted, and each one a step deeper in the heap.
 *
 * <p>Used on the scheduler's event loop only; not thread-safe.
 */
final class TaskTimers {

  /** What a timer is for. */
  enum Kind {
    /** The task may be placed: the end of a retry backoff or its not-before time. */
    READY,
    /** The leader's backstop for an attempt whose worker never reports its end. */
    ATTEMPT_TIMEOUT,
    /** The task's deadline to start. */
    DEADLINE
  }

  /**
   * A timer.
   *
   * @param at when it fires (epoch ms)
   * @param order the order it was set in, which breaks ties of {@code at}
   * @param taskId the task
   * @param attempt the task's attempt when it was set
   * @param kind what it is for
   */
  record Timer(long at, long order, String taskId, int attempt, Kind kind) {
  }

  private final TreeSet<Timer> byTime = new TreeSet<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
      : Long.compare(a.order, b.order));
  private final Map<String, Timer[]> byTask = new HashMap<>();
  private long order;

  /**
   * Sets a task's timer of a kind, replacing the one it had.
   *
   * @param at when it fires (epoch ms)
   * @param taskId the task
   * @param attempt the task's attempt now
   * @param kind what it is for
   */
  void set(long at, String taskId, int attempt, Kind kind) {
    Timer[] mine = byTask.computeIfAbsent(taskId, id -> new Timer[Kind.values().length]);
    Timer before = mine[kind.ordinal()];
    if (before != null) {
      byTime.remove(before);
    }
    Timer t = new Timer(at, ++order, taskId, attempt, kind);
    mine[kind.ordinal()] = t;
    byTime.add(t);
  }

  /** Drops a task's timers: it ended, or it left this scheduler. */
  void cancel(String taskId) {
    Timer[] mine = byTask.remove(taskId);
    if (mine != null) {
      for (Timer t : mine) {
        if (t != null) {
          byTime.remove(t);
        }
      }
    }
  }

  /**
   * @param now the time (epoch ms)
   * @return the earliest timer due at {@code now}, removed, or {@code null} if none is
   */
  Timer pollDue(long now) {
    if (byTime.isEmpty() || byTime.first().at > now) {
      return null;
    }
    Timer t = byTime.pollFirst();
    Timer[] mine = byTask.get(t.taskId);
    if (mine != null && mine[t.kind.ordinal()] == t) {
      mine[t.kind.ordinal()] = null;
      boolean more = false;
      for (Timer other : mine) {
        more |= other != null;
      }
      if (!more) {
        byTask.remove(t.taskId);
      }
    }
    return t;
  }

  /** @return the number of timers set */
  int size() {
    return byTime.size();
  }

  void clear() {
    byTime.clear();
    byTask.clear();
  }
}
