package akita.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * W3, scale: a queue of a million tasks on one leader, then simulated workers (nodes of the cluster view with
 * real heartbeats and real event-bus traffic, hosted by one member in this JVM) that take everything they are sent and report it done at once, first a few, then
 * many. It measures the leader's heap per queued task and its scheduling decisions (assignments) per second
 * at each worker count.
 *
 * <p>The queue fills while every worker announces itself as draining, so the leader knows that the tasks can
 * run but sends them nowhere; the workers then stop draining for each measurement and drain again before
 * more workers join, so the queue is still full when the larger fleet is measured.
 */
final class ScaleRun {

  /** How long the leader may take to see new workers, or to notice a change of their draining flag. */
  static final long SETTLE_TIMEOUT_MS = 120_000;

  private final BenchSettings s;
  private final ClusterAccess access;
  private final NodeCluster cluster;
  private final Vertx vertx;
  private final PrintStream log;

  ScaleRun(BenchSettings s, ClusterAccess access, NodeCluster cluster, Vertx vertx, PrintStream log) {
    this.s = s;
    this.access = access;
    this.cluster = cluster;
    this.vertx = vertx;
    this.log = log;
  }

  /** @return the report's body */
  JsonObject run() throws Exception {
    Context submit = Bench.newContext(vertx);
    Door door = Bench.door(s, vertx, cluster);
    long leaderPid = cluster.leader().process().pid();
    JsonObject o = new JsonObject();
    try (ClusterAccess.WorkerFleet fleet = access.fleet(cluster.clusterName(), cluster.members(),
        NodeCluster.freePort(), BenchSettings.TASK_TYPE, s.workerSlots())) {
      fleet.draining(true);
      grow(fleet, s.workerCounts().get(0));

      long heapBefore = ProcessMemory.liveHeapBytes(leaderPid);
      log.printf("bench: queueing %d tasks (leader heap %.0f MiB live)%n", s.tasks(), heapBefore / 1048576.0);
      JsonObject fill = Bench.await(TaskRun.submitOnly(vertx, submit, door, BenchSettings.TASK_TYPE, s.tasks(),
          s.window(), s.timeoutMs()), s.timeoutMs());
      NodeCluster.Node leader = cluster.leader();
      if (!leader.process().isAlive()) {
        return o.put("ok", false).put("error", "the leader exited with " + leader.process().exitValue() + " after "
            + fill.getInteger("accepted") + " tasks were queued" + NodeCluster.tail(leader));
      }
      long heapAfter = ProcessMemory.liveHeapBytes(leaderPid);
      int queued = fill.getInteger("accepted");
      log.printf("bench: %d queued at %.0f submits/s; leader heap %.0f MiB live%n", queued,
          fill.getDouble("submitPerSecond"), heapAfter / 1048576.0);
      o.put("queued", queued).put("submitPerSecond", fill.getDouble("submitPerSecond"))
          .put("latencyMs", fill.getJsonObject("acceptLatencyMs"))
          .put("leaderHeap", new JsonObject().put("liveBeforeMiB", Bench.round1(heapBefore / 1048576.0))
              .put("liveQueuedMiB", Bench.round1(heapAfter / 1048576.0))
              .put("bytesPerQueuedTask", queued == 0 ? 0 : Math.round((double) (heapAfter - heapBefore) / queued))
              .put("topClasses", ProcessMemory.topClasses(leaderPid, 12)));
      if (!fill.getBoolean("ok")) {
        return o.put("ok", false).put("error", "filling the queue: " + fill.getString("error"));
      }

      JsonArray scale = new JsonArray();
      for (int count : s.workerCounts()) {
        grow(fleet, count);
        JsonObject m = measure(fleet);
        m.put("workers", count);
        log.printf("bench: %d workers: %.0f decisions/s%n", count, m.getDouble("decisionsPerSecond"));
        scale.add(m);
      }
      double first = scale.getJsonObject(0).getDouble("decisionsPerSecond");
      double last = scale.getJsonObject(scale.size() - 1).getDouble("decisionsPerSecond");
      JsonObject baseline = Bench.await(EventBusBaseline.measure(vertx, submit, Bench.ping(cluster), s.window(),
          s.baselineMs()), s.timeoutMs());
      o.put("tasksPerSecond", last).put("decisionsPerSecond", last).put("scale", scale)
          .put("scaleRatio", first > 0 ? Math.round(last / first * 1000) / 1000.0 : 0)
          .put("eventBusBaselinePerSecond", baseline.getDouble("requestsPerSecond"))
          .put("eventBusBaseline", baseline).put("ok", last > 0);
      if (last <= 0) {
        o.put("error", "no task was assigned to the simulated workers");
      }
      return o;
    } finally {
      door.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  /** Adds drained workers until the fleet has {@code count}, and waits until the leader's view has them all. */
  private void grow(ClusterAccess.WorkerFleet fleet, int count) throws Exception {
    int more = count - fleet.size();
    if (more > 0) {
      log.printf("bench: adding %d simulated workers%n", more);
      fleet.add(more);
    }
    int expected = cluster.nodes().size() + count;
    String url = cluster.leader().api() + "/api/v1/cluster";
    long deadline = System.nanoTime() + SETTLE_TIMEOUT_MS * 1_000_000;
    int healthy = 0;
    while (System.nanoTime() < deadline) {
      JsonObject view = cluster.get(url);
      healthy = view == null ? 0 : (int) view.getJsonArray("nodes", new JsonArray()).stream()
          .filter(n -> "HEALTHY".equals(((JsonObject) n).getString("state"))).count();
      if (healthy >= expected) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the leader saw " + healthy + " healthy nodes, not " + expected + ", within "
        + SETTLE_TIMEOUT_MS + " ms");
  }

  /**
   * Lets the fleet take tasks, measures assignments per second over the measuring time once the first arrive,
   * then drains the fleet again and waits until assignments stop.
   */
  private JsonObject measure(ClusterAccess.WorkerFleet fleet) throws Exception {
    long before = fleet.assigned();
    fleet.draining(false);
    awaitChange(fleet::assigned, before, SETTLE_TIMEOUT_MS);
    long a0 = fleet.assigned();
    long t0 = System.nanoTime();
    JsonArray perSecond = new JsonArray();
    long prev = a0;
    long seconds = Math.max(1, Math.round(s.measureMs() / 1000.0));
    for (long k = 1; k <= seconds; k++) {
      // The measuring window itself: the counter is read at each whole second from its start.
      long wait = t0 + k * 1_000_000_000L - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      long now = fleet.assigned();
      perSecond.add(now - prev);
      prev = now;
    }
    long a1 = prev;
    double elapsed = (System.nanoTime() - t0) / 1e9;
    fleet.draining(true);
    awaitQuiet(fleet::assigned);
    return new JsonObject().put("decisionsPerSecond", TaskRun.round((a1 - a0) / elapsed))
        .put("assigned", a1 - a0).put("seconds", Math.round(elapsed * 1000) / 1000.0).put("perSecond", perSecond);
  }

  private static void awaitChange(LongSupplier counter, long from, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (counter.getAsLong() == from) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no assignment within " + timeoutMs + " ms of the workers taking tasks");
      }
      Thread.sleep(5);
    }
  }

  /** Waits until the counter has not moved for a second (bounded). */
  private static void awaitQuiet(LongSupplier counter) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE_TIMEOUT_MS * 1_000_000;
    long last = counter.getAsLong();
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      Thread.sleep(100);
      long now = counter.getAsLong();
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince >= 1_000_000_000L) {
        return;
      }
    }
    throw new IllegalStateException("the leader kept assigning to draining workers for " + SETTLE_TIMEOUT_MS + " ms");
  }
}
