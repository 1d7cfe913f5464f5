package akita.node.plugin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * A plugin jar as this node sees it.
 *
 * @param id the plugin id (the file name when the jar has no readable descriptor)
 * @param version the plugin version, or {@code ?}
 * @param state {@code STARTED} or {@code FAILED}
 * @param taskTypes the task types its executors handle here
 * @param jar the jar it came from
 * @param error why it was refused, or {@code null}
 * @param mtime the jar's modification time when it was read (epoch ms)
 * @param source {@code LOCAL} (the plugins folder) or {@code CLUSTER} (deployed cluster-wide)
 */
public record LoadedPlugin(String id, String version, String state, List<String> taskTypes, Path jar, String error,
    long mtime, String source) {

  /** @return the plugin as JSON ({@code id, version, state, taskTypes, jar}, optional {@code error}) */
  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("id", id).put("version", version).put("state", state)
        .put("taskTypes", new JsonArray(taskTypes)).put("jar", jar.getFileName().toString()).put("source", source);
    if (error != null) {
      o.put("error", error);
    }
    return o;
  }
}
