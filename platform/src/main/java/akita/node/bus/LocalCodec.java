package akita.node.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Hands a body (a {@link JsonObject}, or a list of records such as the scheduler's ledger events) to a consumer
 * in the same node without copying it. The event bus copies JSON bodies on local delivery so that sender and
 * receiver cannot change each other's data, and has no codec at all for other types; for the node's own hot
 * paths (the scheduler's batches to the ledger, the store and the metrics, the ledger's commits) that copy costs
 * more than the work itself. Rule for every use: the sender never changes a body after sending it, and
 * receivers only read it. Local delivery only: a body sent with this codec cannot cross the cluster.
 */
public final class LocalCodec implements MessageCodec<Object, Object> {

  /** The codec's name, for {@link DeliveryOptions#setCodecName}. */
  public static final String NAME = "akita.local";

  /** Local-only delivery with this codec: for publishes and fire-and-forget sends. */
  public static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setCodecName(NAME);

  /**
   * Registers the codec with a Vert.x instance, once; later calls do nothing.
   *
   * @param vertx the instance
   */
  public static void register(Vertx vertx) {
    try {
      vertx.eventBus().registerCodec(new LocalCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // registered by an earlier verticle of this node
    }
  }

  /**
   * @param timeoutMs how long a request waits for its reply
   * @return local-only delivery with this codec and a timeout
   */
  public static DeliveryOptions local(long timeoutMs) {
    return new DeliveryOptions().setLocalOnly(true).setCodecName(NAME).setSendTimeout(timeoutMs);
  }

  @Override
  public void encodeToWire(Buffer buffer, Object o) {
    throw new IllegalStateException("the " + NAME + " codec is for local delivery only");
  }

  @Override
  public Object decodeFromWire(int pos, Buffer buffer) {
    throw new IllegalStateException("the " + NAME + " codec is for local delivery only");
  }

  @Override
  public Object transform(Object o) {
    return o;
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
