package akita.node.ledger;

/** The ledger's event types (UPPER_SNAKE, stable: scripts filter on them). Contract: docs/event-bus.md. */
public final class LedgerEventTypes {

  /** A node was heard from for the first time, or came back (HEALTHY after OFFLINE). */
  public static final String NODE_JOINED = "NODE_JOINED";
  /** A node's health changed between HEALTHY and SUSPECT. */
  public static final String NODE_STATE_CHANGED = "NODE_STATE_CHANGED";
  /** A node went OFFLINE. */
  public static final String NODE_LEFT = "NODE_LEFT";
  /** A node was drained or undrained by the leader. */
  public static final String NODE_DRAIN_CHANGED = "NODE_DRAIN_CHANGED";
  /** A node became leader with a new term. */
  public static final String LEADER_ELECTED = "LEADER_ELECTED";
  /** A leader stepped down (lost quorum or shut down). */
  public static final String LEADER_STEPPED_DOWN = "LEADER_STEPPED_DOWN";
  /** A command with a stale term was refused. */
  public static final String STALE_TERM_REFUSED = "STALE_TERM_REFUSED";

  private LedgerEventTypes() {
  }
}
