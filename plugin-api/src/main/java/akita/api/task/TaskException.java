package akita.api.task;

/**
 * A task attempt that failed in a way the executor understood. The {@link #code()} is a stable upper-case
 * identifier that users and retry policies can match on; the message is for people.
 */
public class TaskException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The payload does not fit the executor's schema; retrying will not help. */
  public static final String INVALID_PAYLOAD = "INVALID_PAYLOAD";
  /** The work ran and failed. */
  public static final String EXECUTION_FAILED = "EXECUTION_FAILED";
  /** The attempt ran past its deadline. */
  public static final String TIMEOUT = "TIMEOUT";
  /** The attempt was cancelled. */
  public static final String CANCELLED = "CANCELLED";
  /** Something the work needs (a host, a file, a service) is not available now; retrying may help. */
  public static final String UNAVAILABLE = "UNAVAILABLE";

  private final String code;
  private final boolean retryable;

  /**
   * Creates a failure.
   *
   * @param code a stable upper-case code, such as {@link #EXECUTION_FAILED}
   * @param message what went wrong, for a person
   * @param retryable whether another attempt could succeed
   */
  public TaskException(String code, String message, boolean retryable) {
    super(message);
    this.code = code;
    this.retryable = retryable;
  }

  /**
   * A failure the payload caused: not retryable.
   *
   * @param message what is wrong with the payload
   * @return the exception
   */
  public static TaskException invalidPayload(String message) {
    return new TaskException(INVALID_PAYLOAD, message, false);
  }

  /**
   * The stable failure code.
   *
   * @return the code
   */
  public String code() {
    return code;
  }

  /**
   * Whether another attempt could succeed.
   *
   * @return {@code true} if the platform may retry
   */
  public boolean retryable() {
    return retryable;
  }
}
