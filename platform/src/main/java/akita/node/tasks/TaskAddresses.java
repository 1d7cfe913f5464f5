package akita.node.tasks;

/**
 * Event-bus addresses of the task service. The public RPC door is {@code akita.tasks.*}: any JVM that joins
 * the cluster can call it; every node answers it and forwards to the leader. Contract: docs/event-bus.md.
 */
public final class TaskAddresses {

  /**
   * Cluster request/reply, public. Body: a task as in POST /api/v1/tasks. Reply: the task ({@code "created":
   * false} when an idempotency key matched an existing task). Fails 400 INVALID_TASK, 503 NO_LEADER.
   */
  public static final String SUBMIT = "akita.tasks.submit";
  /**
   * Cluster request/reply, public. Body: {@code {"tasks": [task, ...]}} (1 to {@link TaskGateway#MAX_BATCH}),
   * stored in one flush. Reply: {@code {"tasks": [...]}}, in the same order, each the task as {@link #SUBMIT}
   * answers it or {@code {"error": {"status", "code", "message"}}}. Fails 400 INVALID_BATCH, 503 NO_LEADER.
   */
  public static final String SUBMIT_BATCH = "akita.tasks.submit.batch";
  /**
   * Cluster request/reply, public: {@link #SUBMIT}, answered only on the node whose scheduler leads, so a submit
   * sent here skips the hop through another node. Fails at once with no handler during an election (send to
   * {@link #SUBMIT} then); a node that has just lost the lead still forwards to the new leader.
   */
  public static final String SUBMIT_AT_LEADER = "akita.tasks.submit.at-leader";
  /** Cluster request/reply, public: {@link #SUBMIT_BATCH}, answered as {@link #SUBMIT_AT_LEADER} is. */
  public static final String SUBMIT_BATCH_AT_LEADER = "akita.tasks.submit.batch.at-leader";
  /** Cluster request/reply, public. Body: {@code {"id"}}. Reply: the task. Fails 404 TASK_NOT_FOUND. */
  public static final String GET = "akita.tasks.get";
  /**
   * Cluster request/reply, public. Body: {@code {"state"?, "type"?, "node"?, "limit"?, "cursor"?}}. Reply:
   * {@code {"tasks": [...], "nextCursor"}}, newest first.
   */
  public static final String LIST = "akita.tasks.list";
  /**
   * Cluster request/reply, public. Body: {@code {"id", "reason"?}}. Reply: the task. Fails 404 TASK_NOT_FOUND,
   * 409 TASK_FINISHED.
   */
  public static final String CANCEL = "akita.tasks.cancel";
  /**
   * Publish, cluster-wide, public. Body: {@code {"events": [transition, ...]}}, one message per batch of
   * stored state changes, in order; a transition is {@code {"id", "taskType", "from", "state", "attempt",
   * "nodeId", "reason", "submittedAt", "at", "error"?}} (times in epoch ms).
   */
  public static final String EVENTS = "akita.tasks.events";

  /**
   * Publish, cluster-wide: {@code {"event": "NODE_QUARANTINED", "nodeId", "until"}} when the scheduler stops
   * placing tasks on a node whose attempts keep failing; every node's discovery shows it.
   */
  public static final String QUARANTINED = "akita.tasks.quarantined";

  /**
   * Local publish, on the leader: {@code {"transitions": [...]}}, the same batches as {@link #EVENTS}, for
   * this node's metrics.
   */
  public static final String TRANSITIONS = "akita.local.tasks.transitions";

  /**
   * Local publish, on the leader, once a second: {@code {"term", "byState": {STATE: n}, "queued", "assigned",
   * "workers", "known"}}, the scheduler's figures for this node's metrics.
   */
  public static final String STATS = "akita.local.tasks.stats";

  /**
   * Local publish: {@code {"term"}} when this node's scheduler starts leading (the term) or stops ({@code 0});
   * the door opens and closes {@link #SUBMIT_AT_LEADER} on it.
   */
  static final String SCHEDULER_STATE = "akita.local.tasks.scheduler-state";

  /** Cluster request/reply, on the acting leader only: {@link #SUBMIT} after validation. */
  static final String LEADER_SUBMIT = "akita.tasks.leader.submit";
  /** Cluster request/reply, on the acting leader only: {@link #GET}. */
  static final String LEADER_GET = "akita.tasks.leader.get";
  /** Cluster request/reply, on the acting leader only: {@link #LIST}. */
  static final String LEADER_LIST = "akita.tasks.leader.list";
  /** Cluster request/reply, on the acting leader only: {@link #CANCEL}. */
  static final String LEADER_CANCEL = "akita.tasks.leader.cancel";
  /**
   * Cluster request/reply, on the acting leader only. Body: {@code {"nodeId", "results": [{"id", "attempt",
   * "event": STARTED|COMPLETED|FAILED|CANCELLED|PROGRESS, "result"?, "error"?, "retryable"?, "progress"?}]}}.
   * Workers report here in batches; reply {@code {"ok": true}} once the changes they make are stored, or 503
   * {@code NOT_STORED} when they were not (the worker sends them again).
   */
  public static final String LEADER_RESULTS = "akita.tasks.leader.results";

  /** Local request/reply on every node: the SQLite mirror. See {@link TaskStoreVerticle}. */
  static final String STORE_PUT = "akita.tasks.store.put";
  /** Local request/reply: non-terminal tasks in this node's mirror. */
  static final String STORE_RECOVER = "akita.tasks.store.recover";
  /** Cluster request/reply on every node: its non-terminal mirrored tasks, for a leader recovering. */
  static final String RECOVER_PREFIX = "akita.tasks.recover.";

  private TaskAddresses() {
  }

  /**
   * Cluster request/reply to one worker: a batch of assignments, fenced by term. Body: {@code {"term",
   * "leaderId", "tasks": [{"id", "type", "payload", "attempt", "timeoutMs", "ackTimeoutMs"}]}}. Reply (the
   * ACK): {@code {"accepted": [id], "refused": [{"id", "reason"}]}}. Fails 409 STALE_TERM, 400 BAD_COMMAND.
   *
   * @param nodeId the worker
   * @return its address
   */
  public static String assign(String nodeId) {
    return "akita.node." + nodeId + ".assign";
  }

  /**
   * Cluster request/reply to one worker: cancel attempts. Body: {@code {"term", "tasks": [{"id", "attempt"}],
   * "reason"}}. Reply: {@code {"cancelled": [id]}}. Fails 409 STALE_TERM.
   *
   * @param nodeId the worker
   * @return its address
   */
  public static String cancel(String nodeId) {
    return "akita.node." + nodeId + ".cancel";
  }

  /**
   * Cluster request/reply to one worker: what it is running. Body: {@code {"term"}}. Reply: {@code
   * {"running": [{"id", "attempt"}]}}. A new leader asks every worker, to keep running tasks running.
   *
   * @param nodeId the worker
   * @return its address
   */
  public static String running(String nodeId) {
    return "akita.node." + nodeId + ".running";
  }
}
