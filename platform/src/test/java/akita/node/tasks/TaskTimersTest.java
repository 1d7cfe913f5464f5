package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akita.node.tasks.TaskTimers.Kind;
import akita.node.tasks.TaskTimers.Timer;
import org.junit.jupiter.api.Test;

class TaskTimersTest {

  private final TaskTimers timers = new TaskTimers();

  @Test
  void timersFireInTimeOrderAndTiesInTheOrderSet() {
    timers.set(300, "a", 1, Kind.ATTEMPT_TIMEOUT);
    timers.set(100, "b", 1, Kind.READY);
    timers.set(100, "c", 0, Kind.DEADLINE);
    assertNull(timers.pollDue(99));
    assertEquals("b", timers.pollDue(100).taskId());
    assertEquals("c", timers.pollDue(100).taskId());
    assertNull(timers.pollDue(299));
    Timer last = timers.pollDue(1_000);
    assertEquals(new Timer(300, last.order(), "a", 1, Kind.ATTEMPT_TIMEOUT), last);
    assertEquals(0, timers.size());
  }

  @Test
  void aNewTimerOfAKindReplacesTheTasksLastOneOfThatKind() {
    timers.set(500, "a", 1, Kind.ATTEMPT_TIMEOUT); // at the assignment
    timers.set(200, "a", 1, Kind.ATTEMPT_TIMEOUT); // at the start: the attempt's own timeout
    timers.set(900, "a", 1, Kind.DEADLINE);
    assertEquals(2, timers.size());
    Timer first = timers.pollDue(1_000);
    assertEquals(200, first.at());
    assertEquals(Kind.DEADLINE, timers.pollDue(1_000).kind());
    assertNull(timers.pollDue(Long.MAX_VALUE));
  }

  @Test
  void aTaskThatEndsTakesItsTimersWithIt() {
    for (int i = 0; i < 1_000; i++) {
      timers.set(60_000 + i, "t" + i, 1, Kind.ATTEMPT_TIMEOUT);
      timers.set(120_000 + i, "t" + i, 1, Kind.DEADLINE);
      timers.cancel("t" + i);
    }
    timers.set(70_000, "live", 1, Kind.ATTEMPT_TIMEOUT);
    assertEquals(1, timers.size());
    assertEquals("live", timers.pollDue(Long.MAX_VALUE).taskId());
    timers.cancel("live"); // already fired: nothing left to drop
    assertEquals(0, timers.size());
  }

  @Test
  void aFiredTimerLeavesTheTasksOtherTimersSet() {
    timers.set(100, "a", 1, Kind.READY);
    timers.set(900, "a", 1, Kind.DEADLINE);
    assertEquals(Kind.READY, timers.pollDue(100).kind());
    timers.set(150, "a", 2, Kind.READY); // a later retry's backoff
    assertEquals(150, timers.pollDue(200).at());
    timers.cancel("a");
    assertNull(timers.pollDue(Long.MAX_VALUE));
  }
}
