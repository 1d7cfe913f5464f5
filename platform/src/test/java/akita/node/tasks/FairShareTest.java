package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-submitter fair share in the queue. */
class FairShareTest {

  private static long seq;

  private static Task task(String submitter, int priority, long at) {
    TaskSpec spec = TaskSpec.fromJson(new JsonObject().put("type", "echo").put("priority", priority)
        .put("submitter", submitter), TaskSpec.Limits.DEFAULT, "x");
    return new Task(submitter + "-" + seq, spec, at, ++seq, 1);
  }

  private static List<String> drain(TaskQueue q) {
    List<String> out = new ArrayList<>();
    while (q.size() > 0) {
      TaskQueue.PlacementClass c = q.classes().iterator().next();
      out.add(q.poll(c).spec().submitter());
    }
    return out;
  }

  /** Verifies that without fair share a burst from one submitter runs before a later single task. */
  @Test
  void fifoWithoutFairShare() {
    TaskQueue q = new TaskQueue(10_000);
    for (int i = 0; i < 4; i++) {
      q.add(task("bulk", 0, 1_000));
    }
    q.add(task("small", 0, 1_001));
    assertEquals(List.of("bulk", "bulk", "bulk", "bulk", "small"), drain(q));
  }

  /** Verifies that with fair share submitters of equal priority take turns. */
  @Test
  void submittersTakeTurns() {
    TaskQueue q = new TaskQueue(10_000, 10);
    for (int i = 0; i < 4; i++) {
      q.add(task("bulk", 0, 1_000));
    }
    q.add(task("small", 0, 1_001));
    assertEquals(List.of("bulk", "small", "bulk", "bulk", "bulk"), drain(q));
  }

  /** Verifies a delayed task ages from its notBefore, not from its submit time. */
  @Test
  void delayedTasksAgeFromNotBefore() {
    TaskQueue q = new TaskQueue(100);
    TaskSpec delayed = TaskSpec.fromJson(new JsonObject().put("type", "echo").put("submitter", "late")
        .put("notBefore", 5_000L), TaskSpec.Limits.DEFAULT, "x");
    q.add(new Task("d", delayed, 1_000, ++seq, 1));
    q.add(task("now", 0, 4_000));
    assertEquals(List.of("now", "late"), drain(q), "an hour's wait for notBefore must not count as queueing");
  }

  /** Verifies that priority still comes first under fair share. */
  @Test
  void priorityStillWins() {
    TaskQueue q = new TaskQueue(10_000, 10);
    q.add(task("a", 0, 1_000));
    q.add(task("b", 5, 1_050));
    assertEquals(List.of("b", "a"), drain(q));
  }
}
