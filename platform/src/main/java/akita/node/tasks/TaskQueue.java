package akita.node.tasks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The leader's queue of tasks ready to run, grouped by placement class (type, required capabilities,
 * affinity): tasks of one class can run on the same nodes, so one check per class says whether any of them
 * can be placed now, however many are queued.
 *
 * <p>Order: higher priority first, FIFO within a priority, with aging: a task gains one priority level per
 * {@code agingMs} it has waited since it was submitted, so low-priority work is never starved. Because every
 * task ages at the same rate, the order is fixed at insertion: the key is
 * {@code priority * agingMs - submittedAt}.
 *
 * <p>Fair share (optional): each submitter's tasks get queue times at least {@code quantumMs} apart (start-time
 * fair queueing), so a submitter that queues 10,000 tasks at once does not hold back another's single task of
 * the same priority: submitters take turns.
 */
final class TaskQueue {

  /** One placement class and its ready tasks, best first. */
  static final class PlacementClass {
    final String key;
    final Task sample;
    final PriorityQueue<Task> tasks;

    PlacementClass(String key, Task sample, Comparator<Task> order) {
      this.key = key;
      this.sample = sample;
      this.tasks = new PriorityQueue<>(order);
    }
  }

  private final Comparator<Task> order;
  private final long quantumMs;
  private final Map<String, Long> lastQueueTime = new HashMap<>();
  private final Map<String, PlacementClass> classes = new HashMap<>();
  private int size;

  /** @param agingMs how long a task waits to gain one priority level */
  TaskQueue(long agingMs) {
    this(agingMs, 0);
  }

  /**
   * @param agingMs how long a task waits to gain one priority level
   * @param quantumMs fair-share spacing of one submitter's tasks in queue time; 0 for plain FIFO
   */
  TaskQueue(long agingMs, long quantumMs) {
    this.quantumMs = quantumMs;
    this.order = Comparator.comparingLong((Task t) -> -(t.spec().priority() * agingMs - t.queueTime()))
        .thenComparingLong(Task::seq);
  }

  /** @return the order tasks are taken in (by {@link Task#queueTime()}, set when a task is added) */
  Comparator<Task> order() {
    return order;
  }

  static String classKey(TaskSpec s) {
    return s.type() + "|" + String.join(",", s.requiredCapabilities().stream().sorted().toList()) + "|"
        + String.join(",", s.affinity()) + "|" + String.join(",", s.antiAffinity());
  }

  void add(Task t) {
    if (t.queued) {
      return; // already waiting: a second entry would be placed twice
    }
    t.queued = true;
    // A delayed task ages from when it may start, not from its submit: waiting for notBefore earns nothing.
    long base = Math.max(t.submittedAt(), t.spec().notBefore());
    t.queueTime(base);
    if (quantumMs > 0) {
      String who = t.spec().submitter() == null ? "" : t.spec().submitter();
      long at = Math.max(base, lastQueueTime.getOrDefault(who, Long.MIN_VALUE / 2) + quantumMs);
      lastQueueTime.put(who, at);
      t.queueTime(at);
    }
    String key = classKey(t.spec());
    classes.computeIfAbsent(key, k -> new PlacementClass(k, t, order)).tasks.add(t);
    size++;
  }

  boolean remove(Task t) {
    PlacementClass c = classes.get(classKey(t.spec()));
    if (c != null && c.tasks.remove(t)) {
      t.queued = false;
      size--;
      if (c.tasks.isEmpty()) {
        classes.remove(c.key);
      }
      return true;
    }
    return false;
  }

  /** Takes the best task of a class; drops the class when it empties. */
  Task poll(PlacementClass c) {
    Task t = c.tasks.poll();
    if (t != null) {
      t.queued = false;
      size--;
    }
    if (c.tasks.isEmpty()) {
      classes.remove(c.key);
    }
    return t;
  }

  Collection<PlacementClass> classes() {
    return new ArrayList<>(classes.values());
  }

  int size() {
    return size;
  }

  /** @return the tasks of a class, in no particular order */
  List<Task> tasksOf(PlacementClass c) {
    return new ArrayList<>(c.tasks);
  }
}
