package akita.node.bench;

import akita.bench.ClusterAccess;
import akita.node.Version;
import akita.node.boot.HazelcastSetup;
import akita.node.cluster.ClusterAddresses;
import akita.node.cluster.NodeInfo;
import akita.node.tasks.TaskAddresses;
import com.hazelcast.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Simulated workers for the scale benchmark, all in this JVM. Each is a real cluster member (a Hazelcast lite
 * member with the node attributes, and its own clustered Vert.x with a single event loop) that announces
 * itself every heartbeat like a node, answers pings, accepts every assignment, and reports each batch completed
 * at once: the leader does all its real work, the workers almost none.
 */
final class SimulatedFleet implements ClusterAccess.WorkerFleet {

  /** How often each worker announces itself (the nodes' default heartbeat). */
  static final long HEARTBEAT_MS = 500;
  /** Workers that join at the same time. */
  static final int PARALLEL_JOINS = 2;

  private final String clusterName;
  private final List<String> members;
  private final String taskType;
  private final int slots;
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private final AtomicLong assigned = new AtomicLong();
  private volatile boolean draining = true;

  SimulatedFleet(String clusterName, List<String> members, String taskType, int slots) {
    this.clusterName = clusterName;
    this.members = List.copyOf(members);
    this.taskType = taskType;
    this.slots = slots;
  }

  @Override
  public void draining(boolean draining) {
    this.draining = draining;
    workers.forEach(w -> w.vertx.runOnContext(v -> w.announce()));
  }

  @Override
  public void add(int count, List<Integer> hzPorts) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_JOINS);
    try {
      List<java.util.concurrent.Future<Worker>> joining = new ArrayList<>();
      int base = workers.size();
      for (int i = 0; i < count; i++) {
        int port = hzPorts.get(i);
        String name = "sim-" + (base + i + 1);
        joining.add(pool.submit(() -> join(name, port)));
      }
      for (java.util.concurrent.Future<Worker> f : joining) {
        workers.add(f.get(PlatformBenchAccess.JOIN_TIMEOUT_S + 30, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Joins one simulated worker. A port chosen free can be taken before the member binds it (by another
   * process, or an outgoing connection of the ones already joining), and a member that reached no node in time
   * forms a cluster of its own: then it tries again (on another port), twice.
   */
  private Worker join(String name, int hzPort) throws Exception {
    int port = hzPort;
    for (int attempt = 1; ; attempt++) {
      try {
        return joinOnce(name, port);
      } catch (Exception e) {
        if (attempt >= 3 || !portTaken(e) && !alone(e)) {
          throw e;
        }
        port = akita.bench.Ports.free();
      }
    }
  }

  /** @return whether the member formed a cluster of its own (it reached no member in time), without the nodes */
  private static boolean alone(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof com.hazelcast.partition.NoDataMemberInClusterException) {
        return true;
      }
    }
    return false;
  }

  private static boolean portTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException || String.valueOf(t.getMessage()).contains("already in use")) {
        return true;
      }
    }
    return false;
  }

  private Worker joinOnce(String name, int hzPort) throws Exception {
    String id = UUID.randomUUID().toString();
    Config hz = HazelcastSetup.build(PlatformBenchAccess.config(clusterName, members, hzPort), id, name);
    hz.setLiteMember(true);
    // A hundred members joining a busy 2-core machine: wait longer for the nodes before forming a cluster alone.
    hz.getNetworkConfig().getJoin().getTcpIpConfig().setConnectionTimeoutSeconds(30);
    // Lightweight: a worker needs few threads of its own.
    for (String p : List.of("hazelcast.partition.operation.thread.count", "hazelcast.operation.generic.thread.count",
        "hazelcast.io.thread.count", "hazelcast.event.thread.count", "hazelcast.response.thread.count")) {
      hz.setProperty(p, "1");
    }
    HazelcastClusterManager cm = new HazelcastClusterManager(hz);
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2).setInternalBlockingPoolSize(2)
            .setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(cm)
        .buildClustered().toCompletionStage().toCompletableFuture()
        .get(PlatformBenchAccess.JOIN_TIMEOUT_S, TimeUnit.SECONDS);
    Worker w = new Worker(id, name, vertx, cm.getHazelcastInstance().getCluster().getLocalMember().getUuid().toString());
    w.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return w;
  }

  @Override
  public int size() {
    return workers.size();
  }

  @Override
  public long assigned() {
    return assigned.get();
  }

  @Override
  public void close() throws Exception {
    List<java.util.concurrent.CompletableFuture<Void>> closing = new ArrayList<>();
    for (Worker w : workers) {
      closing.add(w.vertx.close().toCompletionStage().toCompletableFuture());
    }
    for (java.util.concurrent.CompletableFuture<Void> c : closing) {
      try {
        c.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        // leave it: the JVM ends after the run
      }
    }
    workers.clear();
  }

  /** One simulated worker. Its handlers run on its one event loop. */
  private final class Worker {
    final String id;
    final String name;
    final Vertx vertx;
    final String memberUuid;
    final long startedAt = System.currentTimeMillis();
    long seq;

    Worker(String id, String name, Vertx vertx, String memberUuid) {
      this.id = id;
      this.name = name;
      this.vertx = vertx;
      this.memberUuid = memberUuid;
    }

    Future<Void> start() {
      EventBus bus = vertx.eventBus();
      List<Future<Void>> registered = List.of(
          bus.<JsonObject>consumer(TaskAddresses.assign(id), this::onAssign).completion(),
          bus.<JsonObject>consumer(TaskAddresses.running(id), m -> m.reply(new JsonObject()
              .put("running", new JsonArray()))).completion(),
          bus.<JsonObject>consumer(TaskAddresses.cancel(id), m -> m.reply(new JsonObject()
              .put("cancelled", new JsonArray()))).completion(),
          bus.<JsonObject>consumer(ClusterAddresses.ping(id), m -> m.reply(new JsonObject())).completion());
      return Future.all(registered).map(v -> {
        vertx.runOnContext(x -> announce());
        vertx.setPeriodic(HEARTBEAT_MS, t -> announce());
        return null;
      });
    }

    void announce() {
      vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, new NodeInfo(id, name, Version.CURRENT, clusterName,
          memberUuid, List.of("worker"), List.of(), List.of(taskType), slots, 0, draining, new JsonObject(), "",
          startedAt, ++seq, new JsonArray(), 2 * slots).toJson());
    }

    private void onAssign(Message<JsonObject> m) {
      JsonArray ids = new JsonArray();
      JsonArray results = new JsonArray();
      for (Object o : m.body().getJsonArray("tasks", new JsonArray())) {
        JsonObject a = (JsonObject) o;
        ids.add(a.getString("id"));
        results.add(new JsonObject().put("id", a.getString("id")).put("attempt", a.getInteger("attempt"))
            .put("event", "COMPLETED").put("result", new JsonObject()));
      }
      assigned.addAndGet(ids.size());
      m.reply(new JsonObject().put("accepted", ids).put("refused", new JsonArray()));
      vertx.eventBus().request(TaskAddresses.LEADER_RESULTS, new JsonObject().put("nodeId", id)
          .put("results", results), new DeliveryOptions().setSendTimeout(30_000));
    }
  }
}
