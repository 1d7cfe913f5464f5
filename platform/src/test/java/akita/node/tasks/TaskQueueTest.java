package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The ready queue: priority, FIFO within a priority, aging, removal and placement classes. */
class TaskQueueTest {

  private static final long T0 = 1_900_000_000_000L;
  private long seq;

  private Task task(String id, JsonObject spec, int priority, long submittedAt) {
    JsonObject o = spec.copy().put("priority", priority);
    return new Task(id, TaskSpec.fromJson(o, TaskSpec.Limits.DEFAULT, "t"), submittedAt, ++seq, 1);
  }

  private Task echo(String id, int priority, long submittedAt) {
    return task(id, new JsonObject().put("type", "echo"), priority, submittedAt);
  }

  private static TaskQueue.PlacementClass only(TaskQueue q) {
    Collection<TaskQueue.PlacementClass> classes = q.classes();
    assertEquals(1, classes.size());
    return classes.iterator().next();
  }

  /** Drains the single class of the queue, in order. */
  private static List<String> drain(TaskQueue q) {
    List<String> out = new ArrayList<>();
    while (q.size() > 0) {
      out.add(q.poll(only(q)).id());
    }
    assertTrue(q.classes().isEmpty(), "an emptied class is dropped");
    return out;
  }

  @Test
  void higherPriorityFirst() {
    TaskQueue q = new TaskQueue(10_000);
    q.add(echo("low", 1, T0));
    q.add(echo("high", 900, T0));
    q.add(echo("mid", 50, T0));
    q.add(echo("zero", 0, T0));
    assertEquals(4, q.size());
    assertEquals(List.of("high", "mid", "low", "zero"), drain(q));
    assertEquals(0, q.size());
  }

  @Test
  void fifoWithinAPriority() {
    TaskQueue q = new TaskQueue(10_000);
    // Same submission time: the leader's counter decides.
    Task a = echo("a", 5, T0);
    Task b = echo("b", 5, T0);
    Task c = echo("c", 5, T0);
    q.add(c);
    q.add(a);
    q.add(b);
    assertEquals(List.of("a", "b", "c"), drain(q));
    // Different submission times.
    q.add(echo("later", 5, T0 + 2));
    q.add(echo("earlier", 5, T0 + 1));
    assertEquals(List.of("earlier", "later"), drain(q));
  }

  @Test
  void agingLetsOldLowPriorityWorkOvertake() {
    TaskQueue q = new TaskQueue(100);
    // Priority 0 waited 1,000 ms = 10 levels before the priority-5 task arrived: it goes first.
    q.add(echo("old-low", 0, T0));
    q.add(echo("new-high", 5, T0 + 1_000));
    assertEquals(List.of("old-low", "new-high"), drain(q));

    // Only 100 ms (1 level) earlier is not enough.
    q.add(echo("old-low", 0, T0));
    q.add(echo("new-high", 5, T0 + 100));
    assertEquals(List.of("new-high", "old-low"), drain(q));

    // Exactly 5 levels earlier: a tie on the key, broken by submission order.
    q.add(echo("old-low", 0, T0));
    q.add(echo("new-high", 5, T0 + 500));
    assertEquals(List.of("old-low", "new-high"), drain(q));
  }

  @Test
  void orderMatchesPoll() {
    TaskQueue q = new TaskQueue(100);
    Task older = echo("older", 0, T0);
    Task newer = echo("newer", 5, T0 + 100);
    assertTrue(q.order().compare(newer, older) < 0, "the newer priority-5 task sorts first");
  }

  @Test
  void remove() {
    TaskQueue q = new TaskQueue(10_000);
    Task a = echo("a", 1, T0);
    Task b = echo("b", 2, T0);
    Task other = task("other", new JsonObject().put("type", "shell"), 0, T0);
    q.add(a);
    q.add(b);
    q.add(other);
    assertEquals(3, q.size());
    assertTrue(q.remove(b));
    assertFalse(q.remove(b), "already removed");
    assertEquals(2, q.size());
    assertTrue(q.remove(other));
    assertEquals(1, q.size());
    assertEquals(1, q.classes().size(), "the emptied class is dropped");
    assertFalse(q.remove(echo("never-added", 1, T0)));
    assertFalse(q.remove(task("no-class", new JsonObject().put("type", "http"), 0, T0)));
    assertEquals(List.of("a"), drain(q));
    assertNull(q.poll(new TaskQueue.PlacementClass("gone", a, q.order())));
    assertEquals(0, q.size());
  }

  @Test
  void classesSplitByTypeCapabilitiesAndAffinity() {
    TaskQueue q = new TaskQueue(10_000);
    JsonObject gpu = new JsonObject().put("type", "echo").put("requiredCapabilities",
        new JsonArray().add("gpu").add("cuda"));
    JsonObject gpuReordered = new JsonObject().put("type", "echo").put("requiredCapabilities",
        new JsonArray().add("cuda").add("gpu"));
    q.add(echo("e1", 0, T0));
    q.add(echo("e2", 3, T0));
    q.add(task("s1", new JsonObject().put("type", "shell"), 0, T0));
    q.add(task("g1", gpu, 0, T0));
    q.add(task("g2", gpuReordered, 1, T0));
    q.add(task("a1", new JsonObject().put("type", "echo").put("affinity", new JsonArray().add("alpha")), 0, T0));
    q.add(task("x1", new JsonObject().put("type", "echo").put("antiAffinity", new JsonArray().add("alpha")), 0,
        T0));
    assertEquals(7, q.size());

    Set<Set<String>> groups = q.classes().stream()
        .map(c -> q.tasksOf(c).stream().map(Task::id).collect(Collectors.toSet()))
        .collect(Collectors.toSet());
    assertEquals(Set.of(Set.of("e1", "e2"), Set.of("s1"), Set.of("g1", "g2"), Set.of("a1"), Set.of("x1")), groups);

    TaskQueue.PlacementClass gpuClass = q.classes().stream()
        .filter(c -> c.sample.spec().requiredCapabilities().contains("gpu")).findFirst().orElseThrow();
    assertEquals("g2", q.poll(gpuClass).id(), "higher priority first within a class");
    assertEquals("g1", q.poll(gpuClass).id());
    assertNull(q.poll(gpuClass));
    assertEquals(4, q.classes().size());
    assertEquals(5, q.size());
  }

  @Test
  void classKeyIgnoresCapabilityOrder() {
    TaskSpec a = TaskSpec.fromJson(new JsonObject().put("type", "echo").put("requiredCapabilities",
        new JsonArray().add("b").add("a")), TaskSpec.Limits.DEFAULT, "t");
    TaskSpec b = TaskSpec.fromJson(new JsonObject().put("type", "echo").put("requiredCapabilities",
        new JsonArray().add("a").add("b")), TaskSpec.Limits.DEFAULT, "t");
    TaskSpec c = TaskSpec.fromJson(new JsonObject().put("type", "echo"), TaskSpec.Limits.DEFAULT, "t");
    assertEquals(TaskQueue.classKey(a), TaskQueue.classKey(b));
    assertFalse(TaskQueue.classKey(a).equals(TaskQueue.classKey(c)));
  }
}
