package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TaskIdsTest {

  /** Verifies that an id is a version 7 UUID of the IETF variant whose first 48 bits are the given time. */
  @Test
  void anIdIsAVersion7UuidOfItsTime() {
    long millis = 1_763_900_000_123L;
    UUID id = UUID.fromString(TaskIds.next(millis));
    assertEquals(7, id.version());
    assertEquals(2, id.variant());
    assertEquals(millis, id.getMostSignificantBits() >>> 16);
  }

  /** Verifies that ids of later milliseconds sort after earlier ones as text, the way SQLite's indexes order them. */
  @Test
  void laterIdsSortAfterEarlierOnes() {
    String earlier = TaskIds.next(1_763_900_000_000L);
    String later = TaskIds.next(1_763_900_000_001L);
    assertTrue(earlier.compareTo(later) < 0, earlier + " vs " + later);
  }

  /** Verifies that ids made in the same millisecond differ (their 74 random bits). */
  @Test
  void idsOfOneMillisecondDiffer() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      ids.add(TaskIds.next(1_763_900_000_000L));
    }
    assertEquals(10_000, ids.size());
    assertNotEquals(TaskIds.next(), TaskIds.next());
  }
}
