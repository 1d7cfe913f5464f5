package akita.node;

/** Event-bus addresses of the node's own lifecycle. Contract: docs/event-bus.md. */
public final class NodeAddresses {

  /**
   * Local (this node only), fire-and-forget or request/reply. Body: {@code {"reason": string}}. Starts a
   * graceful shutdown of the node; replies {@code {"accepted": true}}.
   */
  public static final String SHUTDOWN = "akita.node.shutdown";

  private NodeAddresses() {
  }
}
