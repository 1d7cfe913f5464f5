package akita.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akita.node.NodeContext;
import akita.node.config.ConfigLoader;
import akita.node.config.ConfigOption;
import akita.node.config.NodeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Discovery on one Vert.x with a membership the test controls. */
class DiscoveryVerticleTest {

  private Vertx vertx;
  private final LeadershipVerticleTest.FakeMembership membership = new LeadershipVerticleTest.FakeMembership();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    membership.members = List.of(new Member("uuid-me", "me", "me", true, true),
        new Member("uuid-ghost", "ghost", "ghost", true, false));
    Map<ConfigOption, String> flags = ConfigLoader.newFlagMap();
    flags.put(ConfigOption.HEARTBEAT_INTERVAL_MS, "100");
    NodeConfig cfg = ConfigLoader.load(flags, Map.of(), Path.of("plugins"));
    NodeContext node = new NodeContext("me", "me", "c", "v", cfg.roles(), Set.of("gpu"), 0, 1,
        Path.of("d"));
    vertx.deployVerticle(new DiscoveryVerticle(node, cfg, membership, new TermFence(), "http://api"))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private JsonArray nodes() throws Exception {
    return vertx.eventBus().<JsonObject>request(ClusterAddresses.VIEW, new JsonObject())
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).body().getJsonArray("nodes");
  }

  private JsonArray await(Predicate<JsonArray> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    JsonArray n = nodes();
    while (!p.test(n)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("view never matched: " + n.encodePrettily());
      }
      Thread.sleep(20);
      n = nodes();
    }
    return n;
  }

  private void announceGhost(long seq) {
    vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, new NodeInfo("ghost", "ghost", "v", "c", "uuid-ghost",
        List.of("worker"), List.of(), List.of(), 2, 0, false, new JsonObject(), "", 0, seq, new JsonArray(), 2).toJson());
  }

  /** Verifies the node sees itself, and a malformed or foreign announcement changes nothing. */
  @Test
  void seesItselfAndIgnoresBadAnnouncements() throws Exception {
    JsonArray n = await(a -> a.size() == 1);
    assertEquals("me", n.getJsonObject(0).getString("name"));
    assertEquals("[\"gpu\"]", n.getJsonObject(0).getJsonArray("capabilities").encode());
    vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, new JsonObject().put("id", 5));
    vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, new JsonObject().put("name", "x"));
    vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, new NodeInfo("other", "other", "v", "another-cluster", "u",
        List.of(), List.of(), List.of(), 0, 0, false, new JsonObject(), "", 0, 1, new JsonArray(), 0).toJson());
    Thread.sleep(200);
    assertEquals(1, nodes().size());
  }

  /** Verifies that after a healed split brain the view is rebuilt: cached nodes vanish until they announce. */
  @Test
  void mergeRebuildsTheView() throws Exception {
    announceGhost(1);
    await(a -> a.size() == 2);
    membership.listeners.forEach(l -> l.accept(true)); // MERGED
    await(a -> a.size() == 1);
    announceGhost(2);
    await(a -> a.size() == 2);
  }
}
