package akita.node.worker;

import akita.api.task.TaskException;
import akita.node.NodeContext;
import akita.node.bus.BusError;
import akita.node.cluster.TermFence;
import akita.node.plugin.ContextLogger;
import akita.node.plugin.PluginService;
import akita.node.tasks.TaskAddresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tasks the leader assigns to this node. An assignment batch is acknowledged by its reply; each
 * attempt runs through its plugin's executor, is cancelled at its deadline or on the leader's request, and
 * its start, progress and end are reported to the leader in batches. Reports that cannot be delivered (no
 * leader during a failover) are kept and sent again until a leader takes them.
 */
public final class WorkerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);
  private static final long REPORT_MS = 2;
  private static final int REPORT_MAX = 512;
  /** The report events that end an attempt. */
  private static final Set<String> ENDS = Set.of("COMPLETED", "FAILED", "CANCELLED");
  private static final long REPORT_RETRY_MS = 250;
  /**
   * Report batches out at once. A leader answers a batch only once it has stored it (its next flush: a 2 ms
   * timer, the map's write with its backup, the mirror's commit). With one batch at a time a worker's reports
   * left every 5 to 7 ms, and since a slot comes back to the leader with the report of its attempt's end, one
   * node with 16 assignments in hand ran at most about 2,500 noop tasks a second while its CPU was two-thirds
   * idle.
   */
  private static final int REPORTS_IN_FLIGHT = 4;

  private record Attempt(int attempt, AttemptContext context, long timer) {
  }

  private final NodeContext node;
  private final PluginService plugins;
  private final TermFence fence;
  private final int slots;
  private final long drainMs;
  private final Map<String, Attempt> running = new HashMap<>();
  /** Accepted assignments waiting for a slot, oldest first (at most slots × (prefetch - 1)). */
  private final java.util.LinkedHashMap<String, JsonObject> waiting = new java.util.LinkedHashMap<>();
  /** How many assignments the node holds at once: running plus waiting. */
  private final int capacity;
  private final List<JsonObject> reports = new ArrayList<>();
  /** A batch of reports sent to the leader, in the order sent; {@code failed} once it was not taken. */
  private static final class Sent {
    final List<JsonObject> reports;
    boolean failed;

    Sent(List<JsonObject> reports) {
      this.reports = reports;
    }
  }

  /** Batches sent and not yet answered, or refused: no leader has confirmed it stored these. Oldest first. */
  private final List<Sent> unanswered = new ArrayList<>();
  private boolean reportScheduled;
  private boolean stopping;
  private Promise<Void> drained;

  /**
   * @param node this node
   * @param plugins the executors
   * @param fence this node's term fence
   * @param slots how many attempts run at once
   * @param prefetch the node accepts up to slots × prefetch assignments; the extra wait for a slot here
   * @param drainMs how long a graceful stop waits for running attempts before it cancels them
   */
  public WorkerVerticle(NodeContext node, PluginService plugins, TermFence fence, int slots, int prefetch,
      long drainMs) {
    this.node = node;
    this.plugins = plugins;
    this.fence = fence;
    this.slots = slots;
    this.capacity = slots * prefetch;
    this.drainMs = drainMs;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>consumer(TaskAddresses.assign(node.id()), this::onAssign).completion(),
        bus.<JsonObject>consumer(TaskAddresses.cancel(node.id()), this::onCancel).completion(),
        bus.<JsonObject>consumer(TaskAddresses.running(node.id()), this::onRunning).completion()));
  }

  /** Graceful stop: take no new work, let running attempts finish (the node's shutdown timeout bounds it). */
  @Override
  public Future<?> stop() {
    stopping = true;
    // Waiting assignments never started: hand them back at once, so the leader places them elsewhere.
    waiting.values().forEach(a -> report(new JsonObject().put("id", a.getString("id"))
        .put("attempt", a.getInteger("attempt", 1)).put("event", "FAILED").put("retryable", true)
        .put("error", new JsonObject().put("code", "WORKER_STOPPING").put("message", "the node is shutting down")
            .put("nodeId", node.id()))));
    waiting.clear();
    if (running.isEmpty() && reports.isEmpty() && unanswered.isEmpty()) {
      return Future.succeededFuture();
    }
    LOG.info("worker stopping: waiting up to {} ms for {} running attempt(s)", drainMs, running.size());
    drained = Promise.promise();
    vertx.setTimer(Math.max(1, drainMs), id -> {
      if (!drained.future().isComplete()) {
        LOG.warn("worker stopping: cancelling {} attempt(s) still running; the leader retries them elsewhere",
            running.size());
        running.values().forEach(a -> a.context.cancel("the node is shutting down"));
        vertx.setTimer(1_000, x -> drained.tryComplete());
      }
    });
    return drained.future();
  }

  private boolean fenced(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    if (b == null || !(b.getValue("term") instanceof Number)) {
      new BusError(400, "BAD_COMMAND", "a leader command needs a numeric 'term'").failOn(msg);
      return false;
    }
    long term = b.getLong("term");
    if (!fence.admit(term)) {
      new BusError(409, "STALE_TERM", "term " + term + " is older than term " + fence.highest()
          + " this node has seen; the sender is no longer the leader").failOn(msg);
      return false;
    }
    return true;
  }

  private void onAssign(Message<JsonObject> msg) {
    if (!fenced(msg)) {
      return;
    }
    JsonArray accepted = new JsonArray();
    JsonArray refused = new JsonArray();
    for (Object o : msg.body().getJsonArray("tasks", new JsonArray())) {
      JsonObject a = (JsonObject) o;
      String id = a.getString("id");
      if (stopping) {
        refused.add(new JsonObject().put("id", id).put("reason", "the node is shutting down"));
      } else if (running.containsKey(id) || waiting.containsKey(id)) {
        accepted.add(id); // a repeated assignment of an attempt already held here
      } else if (running.size() + waiting.size() >= capacity) {
        refused.add(new JsonObject().put("id", id).put("reason", "no free slot (" + slots + " running, "
            + waiting.size() + " waiting)"));
      } else if (running.size() < slots) {
        begin(a);
        accepted.add(id);
      } else {
        waiting.put(id, a);
        accepted.add(id);
      }
    }
    msg.reply(new JsonObject().put("accepted", accepted).put("refused", refused));
    publishLoad();
  }

  private void begin(JsonObject a) {
    String id = a.getString("id");
    int attempt = a.getInteger("attempt", 1);
    // Start-to-close: the attempt's clock starts now, on the worker; the leader's own timer is a backstop.
    long deadline = System.currentTimeMillis() + a.getLong("timeoutMs", 60_000L);
    AttemptContext.Spec spec = new AttemptContext.Spec(id, a.getString("type"), attempt,
        a.getJsonObject("payload", new JsonObject()), Instant.ofEpochMilli(deadline), Map.of(), node.id());
    long startedAt = System.currentTimeMillis();
    PluginService.Running r = plugins.run(spec, p -> report(new JsonObject().put("id", id).put("attempt", attempt)
        .put("event", "PROGRESS").put("progress", p.toJson())));
    boolean[] timedOut = {false};
    long timer = vertx.setTimer(Math.max(1, deadline - System.currentTimeMillis()), t -> {
      timedOut[0] = true;
      r.context().cancel("the attempt ran past its start-to-close timeout of " + a.getLong("timeoutMs") + " ms");
    });
    running.put(id, new Attempt(attempt, r.context(), timer));
    report(new JsonObject().put("id", id).put("attempt", attempt).put("event", "STARTED"));
    r.result().onComplete(ar -> {
      Attempt done = running.remove(id);
      if (done != null) {
        vertx.cancelTimer(done.timer);
      }
      JsonObject rep = new JsonObject().put("id", id).put("attempt", attempt);
      if (ar.succeeded()) {
        rep.put("event", "COMPLETED").put("result", ar.result());
        if (LOG.isDebugEnabled()) {
          ContextLogger.wrap(LOG, r.context().logContext()).debug("attempt {} of task {} ({}) completed in {} ms",
              attempt, id, spec.taskType(), System.currentTimeMillis() - startedAt);
        }
      } else {
        Throwable err = ar.cause();
        String code;
        boolean retryable;
        if (err instanceof TaskException te) {
          code = te.code();
          retryable = te.retryable();
        } else {
          code = TaskException.EXECUTION_FAILED;
          retryable = true;
        }
        if (timedOut[0]) {
          code = TaskException.TIMEOUT;
          retryable = true;
        } else if (stopping && r.context().isCancelled()) {
          // Handed back, not given up: the leader retries it on another node.
          code = "WORKER_STOPPING";
          retryable = true;
        } else if (r.context().isCancelled()) {
          code = TaskException.CANCELLED;
          retryable = false;
        }
        rep.put("event", TaskException.CANCELLED.equals(code) ? "CANCELLED" : "FAILED")
            .put("retryable", retryable)
            .put("error", new JsonObject().put("code", code).put("message", String.valueOf(err.getMessage()))
                .put("nodeId", node.id()));
        // Carries the task's ids (MDC), so the line is found by task id or trace id in any node's log.
        ContextLogger.wrap(LOG, r.context().logContext()).info("attempt {} of task {} ({}) ended {} after {} ms: "
            + "{}: {}{}", attempt, id, spec.taskType(), rep.getString("event"), System.currentTimeMillis() - startedAt,
            code, err.getMessage(), retryable ? " (retryable)" : "");
      }
      report(rep);
      startWaiting();
      publishLoad();
    });
  }

  /** Starts waiting assignments while slots are free. */
  private void startWaiting() {
    while (!stopping && running.size() < slots && !waiting.isEmpty()) {
      var it = waiting.values().iterator();
      JsonObject next = it.next();
      it.remove();
      begin(next);
    }
  }

  private void onCancel(Message<JsonObject> msg) {
    if (!fenced(msg)) {
      return;
    }
    String reason = msg.body().getString("reason", "cancelled by the leader");
    JsonArray cancelled = new JsonArray();
    for (Object o : msg.body().getJsonArray("tasks", new JsonArray())) {
      JsonObject c = (JsonObject) o;
      Attempt a = running.get(c.getString("id"));
      JsonObject w = waiting.get(c.getString("id"));
      if (a != null && a.attempt == c.getInteger("attempt", a.attempt)) {
        a.context.cancel(reason);
        cancelled.add(c.getString("id"));
      } else if (w != null && w.getInteger("attempt", 1).equals(c.getInteger("attempt",
          w.getInteger("attempt", 1)))) {
        waiting.remove(c.getString("id"));
        cancelled.add(c.getString("id"));
        report(new JsonObject().put("id", c.getString("id")).put("attempt", w.getInteger("attempt", 1))
            .put("event", "CANCELLED").put("retryable", false).put("error", new JsonObject()
                .put("code", TaskException.CANCELLED).put("message", reason).put("nodeId", node.id())));
      }
    }
    msg.reply(new JsonObject().put("cancelled", cancelled));
  }

  private void onRunning(Message<JsonObject> msg) {
    if (!fenced(msg)) {
      return;
    }
    JsonArray list = new JsonArray();
    running.forEach((id, a) -> list.add(new JsonObject().put("id", id).put("attempt", a.attempt)));
    waiting.forEach((id, a) -> list.add(new JsonObject().put("id", id).put("attempt", a.getInteger("attempt", 1))));
    // Attempts that ended but whose end no leader has confirmed stored are still held: their report is on its
    // way (maybe to a leader that just died), and a new leader that did not wait for it would retry a finished
    // attempt as lost, or fail a task whose last attempt succeeded.
    List<List<JsonObject>> held = new ArrayList<>();
    unanswered.forEach(b -> held.add(b.reports));
    held.add(reports);
    for (List<JsonObject> pending : held) {
      for (JsonObject r : pending) {
        if (ENDS.contains(r.getString("event")) && !running.containsKey(r.getString("id"))) {
          list.add(new JsonObject().put("id", r.getString("id")).put("attempt", r.getInteger("attempt")));
        }
      }
    }
    msg.reply(new JsonObject().put("running", list));
    // A new leader: send it what the old one may have missed.
    scheduleReport();
  }

  private void publishLoad() {
    vertx.eventBus().publish(WorkerAddresses.LOAD, new JsonObject().put("running", running.size())
        .put("slots", slots));
  }

  // ---- reports to the leader ------------------------------------------------------------------------------

  private void report(JsonObject r) {
    reports.add(r);
    scheduleReport();
  }

  private void scheduleReport() {
    if (!reportScheduled && canSend()) {
      reportScheduled = true;
      vertx.setTimer(REPORT_MS, id -> {
        reportScheduled = false;
        sendReports();
      });
    }
  }

  /** @return whether another batch may go out: fewer than the window are out and none was refused */
  private boolean canSend() {
    return unanswered.size() < REPORTS_IN_FLIGHT && unanswered.stream().noneMatch(b -> b.failed);
  }

  private void sendReports() {
    if (!canSend() || reports.isEmpty()) {
      checkDrained();
      return;
    }
    Sent batch = new Sent(new ArrayList<>(reports.subList(0, Math.min(REPORT_MAX, reports.size()))));
    reports.subList(0, batch.reports.size()).clear();
    unanswered.add(batch);
    vertx.eventBus().request(TaskAddresses.LEADER_RESULTS, new JsonObject().put("nodeId", node.id())
            .put("results", new JsonArray(new ArrayList<>(batch.reports))), new DeliveryOptions().setSendTimeout(5_000))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            unanswered.remove(batch);
          } else {
            batch.failed = true;
            if (!(ar.cause() instanceof ReplyException)) {
              LOG.warn("reporting to the leader failed: {}", ar.cause().getMessage());
            }
          }
          if (!unanswered.isEmpty() && unanswered.stream().allMatch(b -> b.failed)) {
            // No leader now (failover) or it did not answer: once no batch is out, every refused one goes back
            // to the front, in the order first sent, and is tried again.
            List<JsonObject> again = new ArrayList<>();
            unanswered.forEach(b -> again.addAll(b.reports));
            unanswered.clear();
            reports.addAll(0, again);
            vertx.setTimer(REPORT_RETRY_MS, id -> sendReports());
          } else if (ar.succeeded() && !reports.isEmpty()) {
            scheduleReport();
          }
          checkDrained();
        });
    if (!reports.isEmpty()) {
      scheduleReport(); // the next batch need not wait for this one's answer
    }
  }

  private void checkDrained() {
    if (drained != null && running.isEmpty() && reports.isEmpty() && unanswered.isEmpty()) {
      drained.tryComplete();
    }
  }
}
