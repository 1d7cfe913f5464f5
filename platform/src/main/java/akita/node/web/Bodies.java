package akita.node.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reads request bodies and query parameters, failing with a precise {@link ApiError}. */
final class Bodies {

  private Bodies() {
  }

  /**
   * @param ctx the request, after the body handler
   * @return the body as a JSON object; an empty object when there is no body
   * @throws ApiException with {@link ApiError#INVALID_JSON} or {@link ApiError#UNSUPPORTED_MEDIA_TYPE}
   */
  static JsonObject jsonObject(RoutingContext ctx) {
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) {
      return new JsonObject();
    }
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      throw ApiError.UNSUPPORTED_MEDIA_TYPE.with("the body must be application/json, not " + type);
    }
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw ApiError.INVALID_JSON.with("the body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (!(value instanceof JsonObject o)) {
      throw ApiError.INVALID_JSON.with("the body must be a JSON object");
    }
    return o;
  }

  /**
   * @param ctx the request
   * @param name the query parameter
   * @param dflt the value when absent
   * @param min the smallest accepted value
   * @param max the largest accepted value
   * @return the parameter's value
   * @throws ApiException with {@link ApiError#INVALID_PARAMETER} when it is not an integer in range
   */
  static int intParam(RoutingContext ctx, String name, int dflt, int min, int max) {
    String raw = ctx.request().getParam(name);
    if (raw == null || raw.isEmpty()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(raw);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw ApiError.INVALID_PARAMETER.with("query parameter '" + name + "' must be an integer from " + min + " to "
        + max + ", not '" + raw + "'");
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
