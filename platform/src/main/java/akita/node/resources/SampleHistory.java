package akita.node.resources;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The last {@code capacity} resource samples in a ring buffer: adding to a full history drops the oldest.
 * Not thread-safe; the resources verticle uses it on its event loop only.
 */
final class SampleHistory {

  private final JsonObject[] ring;
  private int next;
  private int size;

  /**
   * @param capacity how many samples to keep, at least 1
   */
  SampleHistory(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a history keeps at least one sample, not " + capacity);
    }
    ring = new JsonObject[capacity];
  }

  /** Adds the newest sample, dropping the oldest when full. */
  void add(JsonObject sample) {
    ring[next] = sample;
    next = (next + 1) % ring.length;
    size = Math.min(size + 1, ring.length);
  }

  /** @return the newest sample, or {@code null} before the first */
  JsonObject latest() {
    return size == 0 ? null : ring[(next - 1 + ring.length) % ring.length];
  }

  /** @return how many samples are kept now */
  int size() {
    return size;
  }

  /** @return how many samples it keeps at most */
  int capacity() {
    return ring.length;
  }

  /**
   * @param limit the most samples wanted
   * @return the newest {@code min(limit, size)} samples, oldest first
   */
  JsonArray last(int limit) {
    int n = Math.max(0, Math.min(limit, size));
    JsonArray out = new JsonArray();
    for (int i = n; i > 0; i--) {
      out.add(ring[(next - i + ring.length) % ring.length]);
    }
    return out;
  }
}
