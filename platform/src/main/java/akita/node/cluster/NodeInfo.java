package akita.node.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a node announces about itself on {@link ClusterAddresses#ANNOUNCE} every heartbeat and on every
 * change. Contract: docs/event-bus.md.
 *
 * @param id the node id
 * @param name the node name
 * @param version the platform version
 * @param cluster the cluster name
 * @param memberUuid the Hazelcast member UUID of this run
 * @param roles leader and/or worker
 * @param capabilities capabilities offered to the scheduler
 * @param taskTypes task types its plugins can run
 * @param slotsTotal how many tasks it runs at once
 * @param running how many it runs now
 * @param draining whether it refuses new tasks
 * @param resources its latest resource sample
 * @param api its API base URL
 * @param startedAt when it started (epoch ms)
 * @param seq a counter that grows with every announcement of this run
 * @param plugins its plugins: {@code [{"id", "version", "state", "source", "taskTypes", "error"?}]}
 * @param accepts how many assignments it takes at once: its slots, plus those that may wait for a slot on it
 */
public record NodeInfo(String id, String name, String version, String cluster, String memberUuid, List<String> roles,
    List<String> capabilities, List<String> taskTypes, int slotsTotal, int running, boolean draining,
    JsonObject resources, String api, long startedAt, long seq, JsonArray plugins, int accepts) {

  /** @return the free slots: none while draining */
  public int slotsFree() {
    return draining ? 0 : Math.max(0, slotsTotal - running);
  }

  /** @return running / total slots, 0 for a node without slots */
  public double load() {
    return slotsTotal == 0 ? 0 : (double) running / slotsTotal;
  }

  /** @return the announcement as JSON */
  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("name", name).put("version", version).put("cluster", cluster)
        .put("memberUuid", memberUuid).put("roles", new JsonArray(roles))
        .put("capabilities", new JsonArray(capabilities)).put("taskTypes", new JsonArray(taskTypes))
        .put("slotsTotal", slotsTotal).put("running", running).put("draining", draining)
        .put("resources", resources).put("api", api).put("startedAt", startedAt).put("seq", seq)
        .put("plugins", plugins).put("accepts", accepts);
  }

  /**
   * Reads an announcement.
   *
   * @param o the JSON
   * @return the node info
   * @throws IllegalArgumentException if a required field is missing or of the wrong type
   */
  public static NodeInfo fromJson(JsonObject o) {
    try {
      String id = require(o.getString("id"), "id");
      return new NodeInfo(id, require(o.getString("name"), "name"), o.getString("version", "unknown"),
          require(o.getString("cluster"), "cluster"), o.getString("memberUuid", ""),
          strings(o.getJsonArray("roles")), strings(o.getJsonArray("capabilities")),
          strings(o.getJsonArray("taskTypes")), o.getInteger("slotsTotal", 0), o.getInteger("running", 0),
          o.getBoolean("draining", false), o.getJsonObject("resources", new JsonObject()), o.getString("api", ""),
          o.getLong("startedAt", 0L), o.getLong("seq", 0L), o.getJsonArray("plugins", new JsonArray()),
          o.getInteger("accepts", o.getInteger("slotsTotal", 0)));
    } catch (ClassCastException e) {
      throw new IllegalArgumentException("a field has the wrong type: " + e.getMessage());
    }
  }

  private static String require(String v, String field) {
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("'" + field + "' is missing");
    }
    return v;
  }

  private static List<String> strings(JsonArray a) {
    if (a == null) {
      return List.of();
    }
    return a.stream().map(String::valueOf).toList();
  }
}
