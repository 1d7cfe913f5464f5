package akita.node.testing;

import akita.node.boot.HazelcastSetup;
import akita.node.cluster.ClusterAddresses;
import akita.node.cluster.NodeInfo;
import akita.node.config.ConfigLoader;
import akita.node.config.ConfigOption;
import akita.node.config.NodeConfig;
import akita.node.tasks.TaskAddresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A worker node that misbehaves on purpose: a real Hazelcast member and clustered event bus that announces
 * itself like a node and answers assignments as its {@link Behaviour} says. For tests of ACK timeouts,
 * lost workers and retries on another node.
 */
public final class SimulatedWorker implements AutoCloseable {

  /** What the worker does with an assignment. */
  public enum Behaviour {
    /** Never answers: the leader's ACK timeout fires. */
    NO_ACK,
    /**
     * Acknowledges and never reports (until {@link #completeHeld}): the task stays ASSIGNED until its attempt
     * times out. The worker tells a leader that asks what it runs about the attempts it holds.
     */
    ACK_ONLY,
    /** Acknowledges and reports the attempt FAILED (retryable). */
    FAIL,
    /** Acknowledges and reports the attempt COMPLETED with {"simulated": true}. */
    COMPLETE
  }

  public final String id;
  public final String name;
  /** Task ids assigned to this worker, in order. */
  public final List<String> assigned = new CopyOnWriteArrayList<>();
  /** Attempts held (ACK_ONLY): task id to attempt number. */
  private final Map<String, Integer> held = new java.util.concurrent.ConcurrentHashMap<>();
  private final Vertx vertx;
  private volatile Behaviour behaviour;

  private SimulatedWorker(String id, String name, Vertx vertx, Behaviour behaviour) {
    this.id = id;
    this.name = name;
    this.vertx = vertx;
    this.behaviour = behaviour;
  }

  /**
   * Joins a cluster as a worker for the given task types.
   *
   * @param cluster the cluster name
   * @param members the members to join through
   * @param name the node name to announce
   * @param taskTypes the types it claims to run
   * @param behaviour what it does with assignments
   */
  public static SimulatedWorker join(String cluster, String members, String name, List<String> taskTypes,
      Behaviour behaviour) throws Exception {
    Map<ConfigOption, String> f = ConfigLoader.newFlagMap();
    f.put(ConfigOption.CLUSTER_NAME, cluster);
    f.put(ConfigOption.HZ_PORT, String.valueOf(TestNodes.freePort()));
    f.put(ConfigOption.MEMBERS, members);
    f.put(ConfigOption.ROLES, "worker");
    NodeConfig cfg = ConfigLoader.load(f, Map.of(), Path.of("plugins"));
    String id = UUID.randomUUID().toString();
    HazelcastClusterManager cm = new HazelcastClusterManager(HazelcastSetup.build(cfg, id, name));
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(cm)
        .buildClustered().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    SimulatedWorker w = new SimulatedWorker(id, name, vertx, behaviour);
    w.start(cluster, taskTypes, cm.getHazelcastInstance().getCluster().getLocalMember().getUuid().toString());
    return w;
  }

  private void start(String cluster, List<String> taskTypes, String memberUuid) throws Exception {
    String nodeId = id;
    long[] seq = {0};
    vertx.eventBus().<JsonObject>consumer(TaskAddresses.assign(nodeId), m -> {
      JsonArray ids = new JsonArray();
      JsonArray results = new JsonArray();
      for (Object o : m.body().getJsonArray("tasks")) {
        JsonObject a = (JsonObject) o;
        assigned.add(a.getString("id"));
        ids.add(a.getString("id"));
        JsonObject r = new JsonObject().put("id", a.getString("id")).put("attempt", a.getInteger("attempt"));
        switch (behaviour) {
          case FAIL -> results.add(r.put("event", "FAILED").put("retryable", true)
              .put("error", new JsonObject().put("code", "SIMULATED").put("message", "simulated failure")));
          case COMPLETE -> results.add(r.put("event", "COMPLETED").put("result", new JsonObject().put("simulated", true)));
          case ACK_ONLY -> held.put(a.getString("id"), a.getInteger("attempt"));
          default -> { }
        }
      }
      if (behaviour == Behaviour.NO_ACK) {
        return;
      }
      m.reply(new JsonObject().put("accepted", ids).put("refused", new JsonArray()));
      if (!results.isEmpty()) {
        vertx.eventBus().request(TaskAddresses.LEADER_RESULTS, new JsonObject().put("nodeId", nodeId)
            .put("results", results));
      }
    }).completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.eventBus().<JsonObject>consumer(TaskAddresses.running(nodeId), m -> {
      JsonArray list = new JsonArray();
      held.forEach((id, attempt) -> list.add(new JsonObject().put("id", id).put("attempt", attempt)));
      m.reply(new JsonObject().put("running", list));
    });
    vertx.eventBus().<JsonObject>consumer(TaskAddresses.cancel(nodeId), m -> m.reply(new JsonObject()
        .put("cancelled", new JsonArray())));
    vertx.setPeriodic(200, t -> vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, new NodeInfo(nodeId, name,
        "sim", cluster, memberUuid, List.of("worker"), List.of(), taskTypes, 4, 0, false, new JsonObject(), "",
        System.currentTimeMillis(), ++seq[0], new JsonArray(), 4).toJson()));
  }

  /**
   * Reports every attempt it holds COMPLETED, to whichever node leads now.
   *
   * @return the leader's answer to the report
   */
  public Future<JsonObject> completeHeld() {
    JsonArray results = new JsonArray();
    held.forEach((id, attempt) -> results.add(new JsonObject().put("id", id).put("attempt", attempt)
        .put("event", "COMPLETED").put("result", new JsonObject().put("simulated", true))));
    held.clear();
    return vertx.eventBus().<JsonObject>request(TaskAddresses.LEADER_RESULTS, new JsonObject().put("nodeId", id)
        .put("results", results)).map(Message::body);
  }

  /** Changes what the worker does from now on. */
  public void behave(Behaviour b) {
    this.behaviour = b;
  }

  /** Leaves the cluster (like a worker that dies, but gracefully). */
  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
