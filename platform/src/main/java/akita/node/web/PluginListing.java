package akita.node.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds GET /api/v1/plugins from the nodes' announcements and the cluster's catalog. */
final class PluginListing {

  private PluginListing() {
  }

  /**
   * One entry per plugin id and version: the nodes that run it, the nodes that refused it (with why), and
   * for cluster-deployed plugins the catalog's record.
   *
   * @param nodes the cluster view's nodes (each with {@code plugins})
   * @param catalog the cluster-deployed plugins
   * @return the listing, sorted by id then version
   */
  static JsonArray aggregate(JsonArray nodes, JsonArray catalog) {
    Map<String, JsonObject> byKey = new LinkedHashMap<>();
    for (Object o : nodes) {
      JsonObject n = (JsonObject) o;
      if ("OFFLINE".equals(n.getString("state"))) {
        continue;
      }
      for (Object po : n.getJsonArray("plugins", new JsonArray())) {
        JsonObject p = (JsonObject) po;
        JsonObject e = byKey.computeIfAbsent(p.getString("id") + "@" + p.getString("version"), k -> new JsonObject()
            .put("id", p.getString("id")).put("version", p.getString("version")).put("state", "FAILED")
            .put("source", p.getString("source")).put("taskTypes", new JsonArray()).put("nodes", new JsonArray())
            .put("failedOn", new JsonArray()));
        if ("STARTED".equals(p.getString("state"))) {
          e.put("state", "STARTED");
          e.put("taskTypes", p.getJsonArray("taskTypes", new JsonArray()));
          e.getJsonArray("nodes").add(n.getString("name"));
        } else {
          e.getJsonArray("failedOn").add(new JsonObject().put("node", n.getString("name"))
              .put("error", p.getString("error")));
        }
      }
    }
    for (Object o : catalog) {
      JsonObject c = (JsonObject) o;
      JsonObject e = byKey.computeIfAbsent(c.getString("id") + "@" + c.getString("version"), k -> new JsonObject()
          .put("id", c.getString("id")).put("version", c.getString("version")).put("state", "DEPLOYING")
          .put("source", "CLUSTER").put("taskTypes", new JsonArray()).put("nodes", new JsonArray())
          .put("failedOn", new JsonArray()));
      e.put("deployed", c);
    }
    List<JsonObject> out = new ArrayList<>(byKey.values());
    out.sort(Comparator.comparing((JsonObject e) -> e.getString("id")).thenComparing(e -> e.getString("version")));
    return new JsonArray(new ArrayList<>(out));
  }
}
