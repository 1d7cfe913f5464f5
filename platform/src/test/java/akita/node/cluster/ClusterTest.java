package akita.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.bus.BusError;
import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.Http.Answer;
import akita.node.testing.TestNodes;
import akita.node.tasks.TaskAddresses;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real nodes (Hazelcast members) in this JVM: one leader, fencing, drain, handover. */
class ClusterTest {

  @TempDir
  Path dir;

  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      TestNodes.stop(nodes.get(i));
    }
  }

  private List<Node> startThree() throws Exception {
    List<Map<ConfigOption, String>> flags = TestNodes.clusterFlags(dir, 3, 3);
    for (int i = 0; i < 3; i++) {
      flags.get(i).put(ConfigOption.CAPABILITIES, "cap" + i);
      nodes.add(TestNodes.start(flags.get(i), Map.of()));
    }
    return nodes;
  }

  static JsonObject cluster(Node n) throws Exception {
    return Http.get("http://127.0.0.1:" + n.apiPort() + "/api/v1/cluster").json();
  }

  /** Polls a node's cluster view until it matches, for at most 20 s. */
  static JsonObject await(Node n, Predicate<JsonObject> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonObject c = cluster(n);
    while (!p.test(c)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("cluster view never matched: " + c.encodePrettily());
      }
      Thread.sleep(50);
      c = cluster(n);
    }
    return c;
  }

  static boolean settled(JsonObject c, int healthy) {
    return c.getJsonObject("leader") != null && c.getJsonArray("nodes").stream()
        .filter(o -> "HEALTHY".equals(((JsonObject) o).getString("state"))).count() == healthy;
  }

  /**
   * Verifies terms keep growing across a restart of the whole cluster even when the node elected first has seen
   * fewer terms than another: every node keeps the highest term it saw in its data folder, and the leader's
   * term is above every present member's. Here n1 remembers term 50 and n0, the oldest (so elected), nothing.
   */
  @Test
  void termsKeepGrowingAcrossWholeClusterRestarts() throws Exception {
    List<Map<ConfigOption, String>> flags = TestNodes.clusterFlags(dir, 2, 2);
    java.nio.file.Path n1Data = java.nio.file.Path.of(flags.get(1).get(ConfigOption.DATA_DIR));
    java.nio.file.Files.createDirectories(n1Data);
    java.nio.file.Files.writeString(n1Data.resolve("term"), "50\n");
    nodes.add(TestNodes.start(flags.get(0), Map.of()));
    nodes.add(TestNodes.start(flags.get(1), Map.of()));
    JsonObject c = await(nodes.get(0), x -> settled(x, 2));
    assertEquals("n0", c.getJsonObject("leader").getString("name"));
    assertEquals(51, c.getLong("term"), "above the highest term any member had seen");
    java.nio.file.Path n0Term = java.nio.file.Path.of(flags.get(0).get(ConfigOption.DATA_DIR)).resolve("term");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!(java.nio.file.Files.exists(n0Term) && java.nio.file.Files.readString(n0Term).trim().equals("51"))) {
      assertTrue(System.nanoTime() < deadline, "n0 keeps the term it leads with in its data folder");
      Thread.sleep(50);
    }
  }

  /** Verifies all three agree on one leader and term, and see each other HEALTHY with capabilities. */
  @Test
  void oneLeaderOneTermEverywhere() throws Exception {
    startThree();
    JsonObject first = await(nodes.get(0), c -> settled(c, 3));
    for (Node n : nodes) {
      JsonObject c = await(n, x -> settled(x, 3));
      assertEquals(first.getJsonObject("leader"), c.getJsonObject("leader"));
      assertEquals(first.getLong("term"), c.getLong("term"));
      assertEquals(3, c.getJsonObject("quorum").getInteger("present"));
      for (Object o : c.getJsonArray("nodes")) {
        JsonObject node = (JsonObject) o;
        assertEquals("cap" + node.getString("name").substring(1), node.getJsonArray("capabilities").getString(0));
      }
    }
    assertEquals("n0", first.getJsonObject("leader").getString("name"), "the oldest member leads");
    long leaders = nodes.stream().filter(n -> {
      try {
        return Http.get("http://127.0.0.1:" + n.apiPort() + "/api/v1/status").json().getBoolean("isLeader");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).count();
    assertEquals(1, leaders, "exactly one node acts as leader");
  }

  /** Verifies a command stamped with an older term is refused by its receiver with STALE_TERM. */
  @Test
  void staleTermIsRefused() throws Exception {
    startThree();
    JsonObject c = await(nodes.get(2), x -> settled(x, 3));
    long term = c.getLong("term");
    Node target = nodes.get(2);
    var bus = nodes.get(1).vertx().eventBus();
    String address = ClusterAddresses.commands(target.context().id());
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () ->
        bus.request(address, new JsonObject().put("term", term - 1).put("leaderId", "deposed").put("op", "drain"))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    BusError err = BusError.from(e.getCause());
    assertEquals(409, err.status());
    assertEquals("STALE_TERM", err.code());
    assertEquals(false, await(nodes.get(0), x -> true).getJsonArray("nodes").stream()
        .map(o -> (JsonObject) o).filter(n -> n.getString("name").equals("n2")).findFirst().orElseThrow()
        .getBoolean("draining"), "the stale command changed nothing");

    // The current term is accepted by the same receiver.
    JsonObject ok = bus.<JsonObject>request(address, new JsonObject().put("term", term).put("leaderId", "x")
        .put("op", "undrain")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
    assertEquals(true, ok.getBoolean("ok"));
  }

  /** Verifies drain through any node reaches the target through the leader and shows in every view. */
  @Test
  void drainAndUndrain() throws Exception {
    startThree();
    await(nodes.get(1), x -> settled(x, 3));
    String base = "http://127.0.0.1:" + nodes.get(1).apiPort();
    Answer drained = Http.post(base + "/api/v1/nodes/n2/drain", "");
    assertEquals(200, drained.status(), drained.body());
    assertEquals(true, drained.json().getBoolean("draining"));
    for (Node n : nodes) {
      await(n, c -> c.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
          .anyMatch(x -> x.getString("name").equals("n2") && x.getBoolean("draining")
              && x.getJsonObject("slots").getInteger("free") == 0));
    }
    assertEquals(404, Http.post(base + "/api/v1/nodes/nobody/drain", "").status());
    Answer undrained = Http.post(base + "/api/v1/nodes/" + nodes.get(2).context().id() + "/undrain", "");
    assertEquals(false, undrained.json().getBoolean("draining"));
    await(nodes.get(0), c -> c.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
        .anyMatch(x -> x.getString("name").equals("n2") && !x.getBoolean("draining")));
    JsonObject one = Http.get(base + "/api/v1/nodes/n2").json();
    assertEquals(nodes.get(2).context().id(), one.getString("id"));
    assertEquals("NODE_NOT_FOUND", Http.get(base + "/api/v1/nodes/nobody").errorCode());
  }

  /**
   * Verifies a leader that shuts down hands over at once: the survivors elect the next member with a higher
   * term, and the election is in their ledgers.
   */
  @Test
  void gracefulShutdownHandsOver() throws Exception {
    startThree();
    JsonObject before = await(nodes.get(1), x -> settled(x, 3));
    Node leader = nodes.remove(0);
    long t0 = System.nanoTime();
    TestNodes.stop(leader);
    JsonObject after = await(nodes.get(0), c -> c.getJsonObject("leader") != null
        && c.getLong("term") > before.getLong("term"));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    System.out.println("graceful leader handover: new leader " + after.getJsonObject("leader").getString("name")
        + " (term " + after.getLong("term") + ") " + ms + " ms after the leader began to stop");
    assertEquals("n1", after.getJsonObject("leader").getString("name"));
    assertNotEquals(before.getJsonObject("leader"), after.getJsonObject("leader"));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("n1").resolve("akita.db"));
         ResultSet rs = c.createStatement().executeQuery(
             "SELECT term FROM ledger WHERE type = 'LEADER_ELECTED' ORDER BY seq DESC LIMIT 1")) {
      assertTrue(rs.next(), "the new leader recorded its election");
      assertEquals(after.getLong("term"), rs.getLong("term"));
    }
  }

  /**
   * Answers a batch submit sent to {@code submit.batch.at-leader} on this node only (local delivery): the
   * created task's id, or {@code null} when this node has no handler there.
   */
  private static String submitAtLeaderHere(Node n) throws Exception {
    try {
      JsonObject reply = n.vertx().eventBus().<JsonObject>request(TaskAddresses.SUBMIT_BATCH_AT_LEADER,
              new JsonObject().put("tasks", new JsonArray().add(new JsonObject().put("type", "noop"))),
              new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000))
          .toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS).body();
      return reply.getJsonArray("tasks").getJsonObject(0).getString("id");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        return null;
      }
      throw e;
    }
  }

  /** Polls until the node answers {@code at-leader} submits ({@code true}) or does not, for at most 20 s. */
  private static void awaitDoor(Node n, boolean open) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while ((submitAtLeaderHere(n) != null) != open) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("node on port " + n.apiPort() + " never " + (open ? "opened" : "closed") + " its at-leader door");
      }
      Thread.sleep(50);
    }
  }

  /**
   * Verifies the submit door that spares a client the hop through another node is open on the leader's node
   * only, and moves with the leadership: after a handover the new leader's node answers it and no other does.
   */
  @Test
  void submitsAtTheLeaderAreAnsweredOnTheLeadersNodeOnly() throws Exception {
    startThree();
    await(nodes.get(1), x -> settled(x, 3));
    awaitDoor(nodes.get(0), true);
    assertEquals(null, submitAtLeaderHere(nodes.get(1)), "a follower does not answer at-leader submits");
    assertEquals(null, submitAtLeaderHere(nodes.get(2)));

    TestNodes.stop(nodes.remove(0));
    awaitDoor(nodes.get(0), true);
    assertEquals(null, submitAtLeaderHere(nodes.get(1)), "only the new leader's node answers");
  }
}
