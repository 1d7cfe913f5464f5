package akita.node.tasks;

import akita.node.bus.BusError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way into the task service, shared by every door (REST, the public event-bus RPC): validates with
 * the node's limits, then forwards to the leader. Failures are {@link BusError}s with the stable codes:
 * 400 INVALID_TASK (with the field), 404 TASK_NOT_FOUND, 409 TASK_FINISHED, 503 NO_LEADER.
 */
public final class TaskGateway {

  private static final long TIMEOUT_MS = 10_000;
  /** How long a request waits for a leader's scheduler to appear before it answers NO_LEADER. */
  private static final long LEADER_WAIT_MS = 5_000;
  private static final long RETRY_MS = 50;
  /** The most tasks one batch submit may carry. */
  public static final int MAX_BATCH = 1_000;

  private final Vertx vertx;
  private final TaskSpec.Limits limits;

  /**
   * @param vertx the node's Vert.x
   * @param limits this node's task limits and defaults
   */
  public TaskGateway(Vertx vertx, TaskSpec.Limits limits) {
    this.vertx = vertx;
    this.limits = limits;
  }

  /**
   * Submits a task.
   *
   * @param task the task JSON as received
   * @param submitter who submits, when the task does not say
   * @return the stored task, with {@code created} false when an idempotency key matched
   */
  public Future<JsonObject> submit(JsonObject task, String submitter) {
    TaskSpec spec;
    try {
      spec = TaskSpec.fromJson(task, limits, submitter);
    } catch (TaskValidationException e) {
      return Future.failedFuture(new BusError(400, "INVALID_TASK", e.getMessage()).asException());
    }
    return leader(TaskAddresses.LEADER_SUBMIT, new JsonObject().put("task", spec.toJson())
        .put("submitter", spec.submitter()), false);
  }

  /**
   * Submits up to {@value #MAX_BATCH} tasks in one request to the leader, stored in one flush. Each item is
   * answered on its own, in order: the stored task, or {@code {"error": {"status", "code", "message"}}} (an
   * invalid item does not stop the others).
   *
   * @param items the task JSONs as received
   * @param submitter who submits, when a task does not say
   * @return {@code {"tasks": [task or error]}}; fails 400 INVALID_BATCH when the list is empty or too long
   */
  public Future<JsonObject> submitAll(JsonArray items, String submitter) {
    if (items == null || items.isEmpty() || items.size() > MAX_BATCH) {
      return Future.failedFuture(new BusError(400, "INVALID_BATCH", "'tasks' must be a list of 1 to " + MAX_BATCH
          + " tasks").asException());
    }
    Object[] answers = new Object[items.size()];
    JsonArray valid = new JsonArray(new ArrayList<>(items.size()));
    List<Integer> slots = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      try {
        if (!(items.getValue(i) instanceof JsonObject task)) {
          throw new TaskValidationException("tasks[" + i + "]", "must be an object");
        }
        TaskSpec spec = TaskSpec.fromJson(task, limits, submitter);
        valid.add(new JsonObject().put("task", spec.toJson()).put("submitter", spec.submitter()));
        slots.add(i);
      } catch (TaskValidationException | ClassCastException e) {
        answers[i] = new JsonObject().put("error", new JsonObject().put("status", 400).put("code", "INVALID_TASK")
            .put("message", e.getMessage()));
      }
    }
    Future<JsonObject> stored = valid.isEmpty() ? Future.succeededFuture(new JsonObject().put("tasks", new JsonArray()))
        : leader(TaskAddresses.LEADER_SUBMIT, new JsonObject().put("tasks", valid), false);
    return stored.map(reply -> {
      JsonArray done = reply.getJsonArray("tasks", new JsonArray());
      for (int k = 0; k < slots.size(); k++) {
        answers[slots.get(k)] = k < done.size() ? done.getValue(k) : new JsonObject().put("error", new JsonObject()
            .put("status", 500).put("code", "INTERNAL").put("message", "the leader did not answer this item"));
      }
      return new JsonObject().put("tasks", new JsonArray(java.util.Arrays.asList(answers)));
    });
  }

  /** @return the task with that id */
  public Future<JsonObject> get(String id) {
    return leader(TaskAddresses.LEADER_GET, new JsonObject().put("id", id), true);
  }

  /** @return a page of tasks, newest first; fails 400 INVALID_PARAMETER for a malformed query */
  public Future<JsonObject> list(JsonObject query) {
    String problem = listProblem(query);
    if (problem != null) {
      return Future.failedFuture(new BusError(400, "INVALID_PARAMETER", problem).asException());
    }
    return leader(TaskAddresses.LEADER_LIST, query, true);
  }

  /** @return the cancelled task */
  public Future<JsonObject> cancel(String id, String reason) {
    return leader(TaskAddresses.LEADER_CANCEL, new JsonObject().put("id", id).put("reason", reason), true);
  }

  private static String listProblem(JsonObject q) {
    Object limit = q.getValue("limit");
    if (limit != null && !(limit instanceof Integer l && l >= 1 && l <= 1000)) {
      return "'limit' must be an integer from 1 to 1000";
    }
    Object cursor = q.getValue("cursor");
    if (cursor != null && !(cursor instanceof Integer || cursor instanceof Long)) {
      return "'cursor' must be the nextCursor of a previous page";
    }
    for (String f : new String[] {"state", "type", "node"}) {
      if (q.getValue(f) != null && !(q.getValue(f) instanceof String)) {
        return "'" + f + "' must be a string";
      }
    }
    return null;
  }

  private Future<JsonObject> leader(String address, JsonObject body, boolean idempotent) {
    return leader(address, body, idempotent, System.currentTimeMillis() + LEADER_WAIT_MS);
  }

  /**
   * Sends to the leader's scheduler. While there is none (an election, a scheduler still taking over), waits
   * and tries again for a bounded time, so a failover of a few seconds is invisible to callers.
   */
  private Future<JsonObject> leader(String address, JsonObject body, boolean idempotent, long giveUpAt) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
        .map(Message::body)
        .recover(err -> {
          boolean noLeader = err instanceof ReplyException re && (re.failureType() == ReplyFailure.NO_HANDLERS
              // a request to a leader that just died; only safe to repeat when the operation is idempotent
              || idempotent && re.failureType() == ReplyFailure.TIMEOUT);
          if (noLeader) {
            if (System.currentTimeMillis() < giveUpAt) {
              return vertx.timer(RETRY_MS).compose(v -> leader(address, body, idempotent, giveUpAt));
            }
            return Future.failedFuture(new BusError(503, "NO_LEADER", "the cluster has no leader scheduling "
                + "tasks right now (an election or a lost quorum); retry shortly").asException());
          }
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) {
            return Future.failedFuture(new BusError(503, "NOT_STORED", "the leader did not answer in time; the "
                + "request may or may not have been applied: retry it with the same idempotency key").asException());
          }
          return Future.failedFuture(err);
        });
  }
}
