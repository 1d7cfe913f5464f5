package akita.node.plugin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * A plugin as the node sees it.
 *
 * @param id the plugin id
 * @param version the plugin version
 * @param state PF4J's state name, such as {@code STARTED} or {@code FAILED}
 * @param taskTypes the task types its executors handle
 * @param jar the jar it came from
 * @param error why it failed, or {@code null}
 */
public record LoadedPlugin(String id, String version, String state, List<String> taskTypes, Path jar, String error) {

  /** @return the plugin as JSON ({@code id, version, state, taskTypes, jar}, optional {@code error}) */
  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("id", id).put("version", version).put("state", state)
        .put("taskTypes", new JsonArray(taskTypes)).put("jar", jar.getFileName().toString());
    if (error != null) {
      o.put("error", error);
    }
    return o;
  }
}
