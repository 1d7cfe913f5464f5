package akita.node.ledger;

/** Event-bus addresses of the ledger. Contract: docs/event-bus.md. */
public final class LedgerAddresses {

  /**
   * Local, fire-and-forget or request/reply. Body: {@code {"type": UPPER_SNAKE, "subject": string?,
   * "term": long?, "data": object?}}. Appends one event to this node's ledger; replies {@code {"ok": true}}
   * once it is committed. Fails 400 INVALID_EVENT for a malformed body.
   */
  public static final String APPEND = "akita.ledger.append";

  /**
   * Local request/reply. Body: {@code {"type"?, "subject"?, "since"? (epoch ms), "limit"?, "cursor"?,
   * "after"?}}. Reply: {@code {"entries": [{"seq", "time", "type", "nodeId", "subject", "term", "data",
   * "prevHash", "hash"}], "nextCursor"}}, newest first; with {@code after} (a seq), the entries after it, oldest
   * first, and {@code nextCursor} is then the last seq returned (pass it as the next {@code after}).
   * Fails 503 LEDGER_UNAVAILABLE.
   */
  public static final String QUERY = "akita.ledger.query";

  /**
   * Local request/reply. Body: {@code {}}. Walks the hash chain. Reply: {@code {"ok": true, "entries": N}} or
   * {@code {"ok": false, "entries": N, "firstBroken": {"seq", "reason"}}}.
   */
  public static final String VERIFY = "akita.ledger.verify";

  /**
   * Local publish, after every commit to this node's ledger (its own appends on the leader, and entries
   * replicated from the leader elsewhere). Body: {@code {"entries": [entry, ...]}} in seq order, each entry in
   * the shape of {@link #QUERY}'s. Consumers (the live event stream, metrics) must not block.
   */
  public static final String COMMITTED = "akita.local.ledger.committed";

  private LedgerAddresses() {
  }
}
