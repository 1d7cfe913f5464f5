package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The leader's compact form of a small payload. */
class CompactMapTest {

  /** Verifies a compact payload reads, encodes and compares as the original, in the original order. */
  @Test
  void aCompactPayloadIsTheSameJson() {
    JsonObject original = new JsonObject().put("z", 1).put("a", "two").putNull("none")
        .put("nested", new JsonObject().put("x", new JsonArray().add(3)));
    JsonObject compact = new JsonObject(CompactMap.of(original.getMap()));
    assertEquals(original.encode(), compact.encode(), "same fields, same order");
    assertEquals(original, compact);
    assertEquals(compact, original);
    assertEquals(original.hashCode(), compact.hashCode());
    assertEquals("two", compact.getString("a"));
    assertEquals(3, compact.getJsonObject("nested").getJsonArray("x").getInteger(0));
    assertTrue(compact.containsKey("none"));
    assertNull(compact.getValue("none"));
    assertEquals(original, compact.copy());
    assertThrows(UnsupportedOperationException.class, () -> compact.put("b", 2), "a payload is never changed");
  }

  /** Verifies large maps and compact ones are left as they are. */
  @Test
  void largeOrCompactMapsStay() {
    JsonObject large = new JsonObject();
    for (int i = 0; i <= CompactMap.MAX_ENTRIES; i++) {
      large.put("f" + i, i);
    }
    assertSame(large.getMap(), CompactMap.of(large.getMap()));
    Map<String, Object> compact = CompactMap.of(new JsonObject().put("a", 1).getMap());
    assertSame(compact, CompactMap.of(compact));
  }
}
