package akita.node.web;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** What the API asks the node about its own health. */
public interface HealthProbe {

  /** @return the checks by name, each {@code {"ok": boolean, ...details}}; ready when every check is ok */
  Future<JsonObject> checks();

  /** @return whether a graceful shutdown has begun (the node then takes no new work) */
  boolean stopping();
}
