package akita.node.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class JsonTextTest {

  /** Verifies the text is what Vert.x encodes for the same fields, escapes included, nulls kept. */
  @Test
  void writesWhatTheJsonObjectWouldEncode() {
    String awkward = "quote \" backslash \\ newline \n tab \t control \u0001 é 😀 </script>";
    JsonObject error = new JsonObject().put("code", "BOOM").put("message", awkward);
    String text = JsonText.object(64).field("id", awkward).field("none", (String) null).field("n", -42L)
        .field("big", Long.MAX_VALUE).field("error", error).field("noError", (JsonObject) null).end();
    JsonObject expected = new JsonObject().put("id", awkward).putNull("none").put("n", -42L)
        .put("big", Long.MAX_VALUE).put("error", error).putNull("noError");
    assertEquals(expected.encode(), text);
    assertEquals(expected, new JsonObject(text));
  }

  /** Verifies an object with no fields is {@code {}}. */
  @Test
  void anEmptyObjectIsBraces() {
    assertEquals("{}", JsonText.object(2).end());
  }
}
