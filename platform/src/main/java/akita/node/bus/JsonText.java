package akita.node.bus;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.json.JsonObject;

/**
 * Writes one flat JSON object as text, field by field, for the hot paths that need only the text (the
 * scheduler's ledger entries): no {@link JsonObject} is built and no generator set up for a dozen fields. Strings
 * are escaped by Jackson's {@link JsonStringEncoder}; nested objects are encoded by Vert.x. Field names are
 * written as given: callers pass constants that need no escaping.
 */
public final class JsonText {

  private static final JsonStringEncoder ESCAPE = JsonStringEncoder.getInstance();

  private final StringBuilder out;

  private JsonText(int capacity) {
    out = new StringBuilder(capacity).append('{');
  }

  /**
   * @param capacity the expected length of the text
   * @return an empty object to add fields to
   */
  public static JsonText object(int capacity) {
    return new JsonText(capacity);
  }

  private StringBuilder name(String name) {
    if (out.length() > 1) {
      out.append(',');
    }
    return out.append('"').append(name).append("\":");
  }

  /**
   * @param name the field's name (no characters that need escaping)
   * @param value a string, or {@code null} for JSON null
   * @return this
   */
  public JsonText field(String name, String value) {
    StringBuilder b = name(name);
    if (value == null) {
      b.append("null");
    } else {
      b.append('"');
      ESCAPE.quoteAsString(value, b);
      b.append('"');
    }
    return this;
  }

  /**
   * @param name the field's name (no characters that need escaping)
   * @param value a number
   * @return this
   */
  public JsonText field(String name, long value) {
    name(name).append(value);
    return this;
  }

  /**
   * @param name the field's name (no characters that need escaping)
   * @param value an object, or {@code null} for JSON null
   * @return this
   */
  public JsonText field(String name, JsonObject value) {
    name(name).append(value == null ? "null" : value.encode());
    return this;
  }

  /** @return the object's text, closed */
  public String end() {
    return out.append('}').toString();
  }
}
