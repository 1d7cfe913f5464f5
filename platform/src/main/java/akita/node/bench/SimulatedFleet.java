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
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Simulated workers for the scale benchmark, all in this JVM and all reached through one host: a Hazelcast lite
 * member with a clustered Vert.x of its own. Each worker is a node of the cluster view in its own right, hosted
 * by that member the way an edge agent is hosted by its gateway (it announces the host's member UUID, ADR 18):
 * it has its own node id, registers its own assignment, running, cancel and ping addresses, announces itself
 * every heartbeat, accepts every assignment and reports each batch completed at once. The leader does all its
 * real work, over the real event bus; the workers almost none. A hundred of them cost one member, where a
 * hundred members would cost the cluster its heartbeats on two cores.
 */
final class SimulatedFleet implements ClusterAccess.WorkerFleet {

  /** How often each worker announces itself (the nodes' default heartbeat). */
  static final long HEARTBEAT_MS = 500;
  /** The host's event loops, shared by its workers (each worker keeps to one). */
  static final int EVENT_LOOPS = 2;

  private final String clusterName;
  private final String taskType;
  private final int slots;
  private final Vertx host;
  private final String hostUuid;
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private final AtomicLong assigned = new AtomicLong();
  private volatile boolean draining = true;

  private SimulatedFleet(String clusterName, String taskType, int slots, Vertx host, String hostUuid) {
    this.clusterName = clusterName;
    this.taskType = taskType;
    this.slots = slots;
    this.host = host;
    this.hostUuid = hostUuid;
  }

  /** Joins the fleet's host member to the nodes; blocks until joined. */
  static SimulatedFleet join(String clusterName, List<String> members, int hzPort, String taskType, int slots)
      throws Exception {
    String hostId = UUID.randomUUID().toString();
    Config hz = HazelcastSetup.build(PlatformBenchAccess.config(clusterName, members, hzPort), hostId,
        "sim-host");
    // It holds none of the cluster's data; the node attributes make it a member that hosted workers can name.
    hz.setLiteMember(true);
    HazelcastClusterManager cm = new HazelcastClusterManager(hz);
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventLoopPoolSize(EVENT_LOOPS)
            .setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(cm)
        .buildClustered().toCompletionStage().toCompletableFuture()
        .get(PlatformBenchAccess.JOIN_TIMEOUT_S, TimeUnit.SECONDS);
    return new SimulatedFleet(clusterName, taskType, slots, vertx,
        cm.getHazelcastInstance().getCluster().getLocalMember().getUuid().toString());
  }

  @Override
  public void draining(boolean draining) {
    this.draining = draining;
    workers.forEach(Worker::announceSoon);
  }

  @Override
  public void add(int count) throws Exception {
    List<Future<String>> deploying = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Worker w = new Worker(UUID.randomUUID().toString(), "sim-" + (workers.size() + 1));
      workers.add(w);
      deploying.add(host.deployVerticle(w));
    }
    Future.all(deploying).toCompletionStage().toCompletableFuture()
        .get(PlatformBenchAccess.JOIN_TIMEOUT_S, TimeUnit.SECONDS);
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
    try {
      host.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      // leave it: the JVM ends after the run
    }
    workers.clear();
  }

  /** One simulated worker, a verticle on the host: its handlers run on its own context. */
  private final class Worker extends io.vertx.core.VerticleBase {
    final String id;
    final String name;
    final long startedAt = System.currentTimeMillis();
    volatile boolean started;
    long seq;

    Worker(String id, String name) {
      this.id = id;
      this.name = name;
    }

    @Override
    public Future<?> start() {
      var bus = vertx.eventBus();
      List<Future<Void>> registered = List.of(
          bus.<JsonObject>consumer(TaskAddresses.assign(id), this::onAssign).completion(),
          bus.<JsonObject>consumer(TaskAddresses.running(id), m -> m.reply(new JsonObject()
              .put("running", new JsonArray()))).completion(),
          bus.<JsonObject>consumer(TaskAddresses.cancel(id), m -> m.reply(new JsonObject()
              .put("cancelled", new JsonArray()))).completion(),
          bus.<JsonObject>consumer(ClusterAddresses.ping(id), m -> m.reply(new JsonObject())).completion());
      return Future.all(registered).map(v -> {
        started = true;
        announce();
        vertx.setPeriodic(HEARTBEAT_MS, t -> announce());
        return null;
      });
    }

    /** Announces the current draining flag from this worker's context, once it has started. */
    void announceSoon() {
      if (started) {
        context.runOnContext(v -> announce());
      }
    }

    void announce() {
      vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, new NodeInfo(id, name, Version.CURRENT, clusterName,
          hostUuid, List.of("worker"), List.of(), List.of(taskType), slots, 0, draining, new JsonObject(), "",
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
