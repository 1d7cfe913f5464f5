package akita.node;

import akita.node.config.Role;
import io.vertx.core.json.JsonArray;
import java.nio.file.Path;
import java.util.Set;

/**
 * What a node is, fixed for the life of its process; handed to the verticles that describe the node.
 *
 * @param id the stable node id
 * @param name the node name
 * @param cluster the cluster name
 * @param version the platform version
 * @param roles what the node may do
 * @param capabilities capabilities from the configuration
 * @param startedAtMs when this process started the node (epoch ms)
 * @param run this start's number in the node's history (1 for the first start of a data folder)
 * @param dataDir the data folder
 */
public record NodeContext(String id, String name, String cluster, String version, Set<Role> roles,
    Set<String> capabilities, long startedAtMs, long run, Path dataDir) {

  /** @return the roles as a JSON array of lowercase names */
  public JsonArray rolesJson() {
    JsonArray a = new JsonArray();
    roles.forEach(r -> a.add(r.id()));
    return a;
  }
}
