package akita.node.bus;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * A failure carried over the event bus: an HTTP-like status as the {@link ReplyException} failure code and
 * {@code {"code", "message"}} as its message, so every door reports the same stable code.
 *
 * @param status the HTTP-like status (400, 404, 409, 503, ...)
 * @param code the stable upper-case code, as in the REST API
 * @param message what went wrong, for a person
 */
public record BusError(int status, String code, String message) {

  /**
   * Fails a request with this error.
   *
   * @param msg the request
   */
  public void failOn(Message<?> msg) {
    msg.fail(status, new JsonObject().put("code", code).put("message", message).encode());
  }

  /** @return this error as an exception, for failing futures */
  public ReplyException asException() {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, status,
        new JsonObject().put("code", code).put("message", message).encode());
  }

  /**
   * Reads the error a request failed with.
   *
   * @param t the failure of a request future
   * @return the error; {@code NO_HANDLERS} and {@code TIMEOUT} become 503 {@code UNAVAILABLE}
   */
  public static BusError from(Throwable t) {
    if (t instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return new BusError(503, "UNAVAILABLE", "no service is listening at that address");
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return new BusError(503, "UNAVAILABLE", "the request timed out");
      }
      String text = re.getMessage();
      if (text != null && text.startsWith("{")) {
        try {
          JsonObject o = new JsonObject(text);
          return new BusError(re.failureCode(), o.getString("code", "INTERNAL"), o.getString("message", ""));
        } catch (DecodeException e) {
          // not ours
        }
      }
      return new BusError(re.failureCode() > 0 ? re.failureCode() : 500, "INTERNAL", String.valueOf(text));
    }
    return new BusError(500, "INTERNAL", String.valueOf(t.getMessage()));
  }
}
