package akita.node.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The ring buffer behind a node's resource history. */
class SampleHistoryTest {

  private static JsonObject sample(long time) {
    return new JsonObject().put("time", time);
  }

  private static String times(JsonArray samples) {
    StringBuilder b = new StringBuilder();
    for (Object o : samples) {
      b.append(b.length() == 0 ? "" : ",").append(((JsonObject) o).getLong("time"));
    }
    return b.toString();
  }

  /** Verifies the history keeps the newest samples only, oldest first, across several wrap-arounds. */
  @Test
  void keepsTheNewestOldestFirst() {
    SampleHistory h = new SampleHistory(3);
    assertNull(h.latest());
    assertEquals("", times(h.last(10)));
    h.add(sample(1));
    h.add(sample(2));
    assertEquals("1,2", times(h.last(10)));
    for (long t = 3; t <= 8; t++) {
      h.add(sample(t));
    }
    assertEquals(3, h.size());
    assertEquals("6,7,8", times(h.last(10)));
    assertEquals("7,8", times(h.last(2)));
    assertEquals("", times(h.last(0)));
    assertEquals(8, h.latest().getLong("time"));
    assertThrows(IllegalArgumentException.class, () -> new SampleHistory(0));
  }
}
