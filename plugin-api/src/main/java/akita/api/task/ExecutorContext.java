package akita.api.task;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.slf4j.Logger;

/** The environment of a {@link TaskExecutor} while its plugin is loaded. */
public interface ExecutorContext {

  /**
   * The node's Vert.x instance, for timers and clients. Do not close it.
   *
   * @return the Vert.x instance
   */
  Vertx vertx();

  /**
   * The plugin's configuration: {@code config.json} overlaid with {@code config.local.json} from the plugin's
   * folder under the node's data folder; an empty object when there is none.
   *
   * @return the configuration, read-only
   */
  JsonObject config();

  /**
   * A folder that belongs to this plugin on this node and survives restarts.
   *
   * @return the plugin's data folder, created on first use
   */
  Path dataDir();

  /**
   * A logger whose events carry the plugin's id.
   *
   * @return the logger
   */
  Logger logger();
}
