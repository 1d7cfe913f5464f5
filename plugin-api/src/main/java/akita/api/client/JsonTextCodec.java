package akita.api.client;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * An event-bus codec that sends a JSON object already written as text (a {@link Buffer} of UTF-8 JSON) and
 * delivers it as a {@link JsonObject}. The leader keeps each task's JSON as text for its stores; sending that
 * text to a {@link TaskClient}'s notify address spares encoding every ended task again. On the wire it is laid
 * out as the event bus lays out a {@code JsonObject} body (length, then the text) under this codec's name, so
 * the receiving Vert.x must have the codec registered: {@link TaskClient} registers it, and the leader uses it
 * only for addresses under {@link TaskClient#TEXT_NOTIFY_PREFIX}.
 */
public final class JsonTextCodec implements MessageCodec<Buffer, JsonObject> {

  /** The codec's name, for {@link DeliveryOptions#setCodecName}. */
  public static final String NAME = "akita.json-text";

  /**
   * Registers the codec with a Vert.x instance; later calls do nothing.
   *
   * @param vertx the instance
   */
  public static void register(Vertx vertx) {
    try {
      vertx.eventBus().registerCodec(new JsonTextCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // registered earlier in this Vert.x
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, Buffer json) {
    buffer.appendInt(json.length());
    buffer.appendBuffer(json);
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new JsonObject(buffer.slice(pos + 4, pos + 4 + length));
  }

  @Override
  public JsonObject transform(Buffer json) {
    return new JsonObject(json);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
