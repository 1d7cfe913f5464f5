package akita.node.web;

/** A request that fails with a specific {@link ApiError}; route handlers fail their context with it. */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ApiError error;

  public ApiException(ApiError error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  /** @return the error */
  public ApiError error() {
    return error;
  }
}
