package akita.node.ledger;

/** Event-bus addresses of the ledger. Contract: docs/event-bus.md. */
public final class LedgerAddresses {

  /**
   * Local, fire-and-forget or request/reply. Body: {@code {"type": UPPER_SNAKE, "subject": string?,
   * "term": long?, "data": object?}}. Appends one event to this node's ledger; replies {@code {"ok": true}}
   * once it is committed. Fails 400 INVALID_EVENT for a malformed body.
   */
  public static final String APPEND = "akita.ledger.append";

  private LedgerAddresses() {
  }
}
