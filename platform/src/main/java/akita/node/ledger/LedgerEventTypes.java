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

  /**
   * A node started: its configuration as it runs (never API keys). Subject: its id. Data: {@code {"name",
   * "version", "run", "roles", "capabilities", "slots", "prefetch", "expectedMembers", "apiSecured",
   * "configFile"}}.
   */
  public static final String NODE_STARTED = "NODE_STARTED";
  /**
   * A worker acknowledged an assignment. Subject: the task id. Data: {@code {"id", "taskType", "attempt",
   * "nodeId", "at"}}.
   */
  public static final String TASK_ACKNOWLEDGED = "TASK_ACKNOWLEDGED";
  /** A plugin was deployed cluster-wide; subject: its id. Data: {@code {"version", "sha256", "size", "by"}}. */
  public static final String PLUGIN_DEPLOYED = "PLUGIN_DEPLOYED";
  /** A cluster-wide plugin was removed; subject: its id. Data as {@link #PLUGIN_DEPLOYED}. */
  public static final String PLUGIN_REMOVED = "PLUGIN_REMOVED";

  /**
   * A request to the API was refused for a missing or invalid API key; subject: the client's address. Data:
   * {@code {"reason": "missing"|"invalid", "method", "path", "notRecordedBefore"}} (at most 5 a second per node
   * are recorded; the count of those left out goes in the next one).
   */
  public static final String AUTH_FAILED = "AUTH_FAILED";

  /**
   * A node rejoined holding entries the cluster's chain does not have (it had been a deposed leader); they were
   * moved to its {@code ledger_orphans} table; the task events among them the chain lacked were recorded again
   * (marked {@code "recovered": true}). Data: {@code {"fromSeq", "entries", "recordedAgain"}}.
   */
  public static final String LEDGER_ENTRIES_ORPHANED = "LEDGER_ENTRIES_ORPHANED";

  /** A task was accepted (stored); subject: the task id. Task events' data: docs/event-bus.md. */
  public static final String TASK_SUBMITTED = "TASK_SUBMITTED";
  /** The leader assigned the task to a worker (recorded once stored, before it is sent). */
  public static final String TASK_ASSIGNED = "TASK_ASSIGNED";
  /** The task's executor started. */
  public static final String TASK_STARTED = "TASK_STARTED";
  /** An attempt failed or was given up on; the task waits for another. */
  public static final String TASK_RETRYING = "TASK_RETRYING";
  /** The task is waiting in the queue again (after a retry's backoff, or taken back from a drained node). */
  public static final String TASK_REQUEUED = "TASK_REQUEUED";
  /** The task completed; recorded once per task. */
  public static final String TASK_COMPLETED = "TASK_COMPLETED";
  /** The task failed for good; recorded once per task. */
  public static final String TASK_FAILED = "TASK_FAILED";
  /** The task was cancelled; recorded once per task. */
  public static final String TASK_CANCELLED = "TASK_CANCELLED";

  /**
   * @param from the state a task left, {@code null} for a new task
   * @param state the state it moved to
   * @return the event type of that move
   */
  public static String forTaskMove(String from, String state) {
    return switch (state) {
      case "PENDING" -> from == null ? TASK_SUBMITTED : TASK_REQUEUED;
      case "ASSIGNED" -> TASK_ASSIGNED;
      case "RUNNING" -> TASK_STARTED;
      case "RETRYING" -> TASK_RETRYING;
      case "COMPLETED" -> TASK_COMPLETED;
      case "FAILED" -> TASK_FAILED;
      case "CANCELLED" -> TASK_CANCELLED;
      default -> throw new IllegalArgumentException("not a task state: " + state);
    };
  }

  private LedgerEventTypes() {
  }
}
