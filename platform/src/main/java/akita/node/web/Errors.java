package akita.node.web;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writes JSON answers and the one error shape, {@code {"error": {"code", "message"}}}. */
final class Errors {

  private Errors() {
  }

  static void send(RoutingContext ctx, ApiError error, String message) {
    json(ctx, error.status(), new JsonObject().put("error",
        new JsonObject().put("code", error.name()).put("message", message)));
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
