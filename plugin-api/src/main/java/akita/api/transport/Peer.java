package akita.api.transport;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A machine reachable through a transport.
 *
 * @param id the peer's stable id on this transport (a certificate fingerprint, a Reticulum destination hash)
 * @param address where the transport reaches it, for people (host:port, a serial device); may be empty
 * @param attributes what the peer says about itself (name, capabilities), as strings
 */
public record Peer(String id, String address, Map<String, String> attributes) {

  /**
   * @param id the peer's id, not empty
   * @param address where it is reached; {@code null} becomes empty
   * @param attributes its attributes; {@code null} becomes empty
   */
  public Peer {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("a peer needs an id");
    }
    address = address == null ? "" : address;
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
  }

  /** @return {@code {"id", "address", "attributes": {...}}} */
  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("address", address)
        .put("attributes", new JsonObject(Map.<String, Object>copyOf(attributes)));
  }

  /**
   * @param json as written by {@link #toJson()}
   * @return the peer
   * @throws IllegalArgumentException if the id is missing
   */
  public static Peer fromJson(JsonObject json) {
    JsonObject a = json.getJsonObject("attributes", new JsonObject());
    Map<String, String> attrs = new java.util.HashMap<>();
    a.forEach(e -> attrs.put(e.getKey(), String.valueOf(e.getValue())));
    return new Peer(json.getString("id"), json.getString("address"), attrs);
  }
}
