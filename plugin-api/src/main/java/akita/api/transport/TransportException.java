package akita.api.transport;

/** A frame that a transport could not send; {@link #code()} is stable, the message is for people. */
public class TransportException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** No such peer, or it is not reachable now. */
  public static final String PEER_UNREACHABLE = "PEER_UNREACHABLE";
  /** The frame is larger than the transport's MTU. */
  public static final String FRAME_TOO_LARGE = "FRAME_TOO_LARGE";
  /** The transport is not started or is stopping. */
  public static final String NOT_STARTED = "NOT_STARTED";

  private final String code;

  /**
   * @param code a stable upper-case code such as {@link #PEER_UNREACHABLE}
   * @param message what went wrong, for a person
   */
  public TransportException(String code, String message) {
    super(message);
    this.code = code;
  }

  /** @return the stable code */
  public String code() {
    return code;
  }
}
