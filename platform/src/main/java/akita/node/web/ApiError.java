package akita.node.web;

/**
 * Every error the HTTP API returns, with its stable code and HTTP status. The body is always
 * {@code {"error": {"code": "...", "message": "..."}}}. Contract: docs/rest.md.
 */
public enum ApiError {
  BAD_REQUEST(400),
  INVALID_TASK(400),
  INVALID_BATCH(400),
  INVALID_PLUGIN(400),
  INCOMPATIBLE_PLUGIN(400),
  CHECKSUM_MISMATCH(400),
  PLUGIN_START_FAILED(400),
  INVALID_JSON(400),
  INVALID_PARAMETER(400),
  API_KEY_MISSING(401),
  API_KEY_INVALID(401),
  FORBIDDEN(403),
  NOT_FOUND(404),
  NODE_NOT_FOUND(404),
  PLUGIN_NOT_FOUND(404),
  TASK_NOT_FOUND(404),
  METHOD_NOT_ALLOWED(405),
  CONFLICT(409),
  STALE_TERM(409),
  PLUGIN_CONFLICT(409),
  TASK_FINISHED(409),
  PAYLOAD_TOO_LARGE(413),
  UNSUPPORTED_MEDIA_TYPE(415),
  INTERNAL(500),
  NOT_READY(503),
  NO_LEADER(503),
  NOT_STORED(503),
  LEDGER_UNAVAILABLE(503),
  NODE_UNREACHABLE(503),
  UNAVAILABLE(503),
  SHUTTING_DOWN(503),
  STORAGE_FULL(507);

  private final int status;

  ApiError(int status) {
    this.status = status;
  }

  /** @return the HTTP status */
  public int status() {
    return status;
  }

  /**
   * The API error for a failure that came over the event bus: the same code when the API knows it, else
   * the closest one by status.
   *
   * @param e the event-bus error
   * @return an exception carrying the error and the original message
   */
  public static ApiException from(akita.node.bus.BusError e) {
    for (ApiError a : values()) {
      if (a.name().equals(e.code())) {
        return a.with(e.message());
      }
    }
    ApiError a = switch (e.status()) {
      case 400 -> BAD_REQUEST;
      case 404 -> NOT_FOUND;
      case 409 -> CONFLICT;
      case 503 -> UNAVAILABLE;
      default -> INTERNAL;
    };
    return a.with(e.code() + ": " + e.message());
  }

  /**
   * @param message what went wrong, for a person
   * @return an exception carrying this error
   */
  public ApiException with(String message) {
    return new ApiException(this, message);
  }
}
