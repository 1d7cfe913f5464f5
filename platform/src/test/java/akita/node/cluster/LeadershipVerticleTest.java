package akita.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akita.node.NodeContext;
import akita.node.config.ConfigLoader;
import akita.node.config.ConfigOption;
import akita.node.config.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The election rule on its own, over a membership the test controls. */
class LeadershipVerticleTest {

  /** A membership whose member list the test sets, with a term store in memory. */
  static final class FakeMembership implements Membership {
    volatile List<Member> members = List.of();
    final AtomicLong term = new AtomicLong();
    final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();

    void set(Member... ms) {
      members = List.of(ms);
      listeners.forEach(l -> l.accept(false));
    }

    @Override
    public List<Member> members() {
      return members;
    }

    @Override
    public AutoCloseable onChange(Consumer<Boolean> onChange) {
      listeners.add(onChange);
      return () -> listeners.remove(onChange);
    }

    @Override
    public Future<Long> claimLeadership(String nodeId, String name, long floor) {
      return Future.succeededFuture(term.updateAndGet(t -> Math.max(t, floor) + 1));
    }

    @Override
    public Future<JsonObject> lastLeadership() {
      return Future.succeededFuture(new JsonObject());
    }
  }

  private Vertx vertx;
  private final FakeMembership membership = new FakeMembership();
  private final TermFence fence = new TermFence();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Member m(String id, boolean eligible, boolean local) {
    return new Member("uuid-" + id, id, "name-" + id, eligible, local);
  }

  private void deploy(String roles, int expected) throws Exception {
    Map<ConfigOption, String> flags = ConfigLoader.newFlagMap();
    flags.put(ConfigOption.ROLES, roles);
    flags.put(ConfigOption.EXPECTED_MEMBERS, String.valueOf(expected));
    NodeConfig cfg = ConfigLoader.load(flags, Map.of(), Path.of("plugins"));
    NodeContext node = new NodeContext("me", "name-me", "c", "v", cfg.roles(), Set.of(), 0, 1, Path.of("d"));
    vertx.deployVerticle(new LeadershipVerticle(node, cfg, membership, fence))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private JsonObject state() throws Exception {
    return vertx.eventBus().<JsonObject>request(ClusterAddresses.LEADER_STATE, new JsonObject())
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).body();
  }

  /** Polls until the state matches, for at most 5 s: elections complete asynchronously. */
  private JsonObject awaitState(java.util.function.Predicate<JsonObject> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    JsonObject s = state();
    while (!p.test(s) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      s = state();
    }
    return s;
  }

  /** Verifies the oldest eligible member leads: a worker-only older member is passed over. */
  @Test
  void oldestEligibleMemberLeads() throws Exception {
    membership.members = List.of(m("old-worker", false, false), m("me", true, true), m("young", true, false));
    deploy("leader,worker", 1);
    JsonObject s = awaitState(x -> x.getBoolean("isLeader"));
    assertEquals("me", s.getJsonObject("leader").getString("id"));
    assertEquals(1L, s.getLong("term"));
  }

  /** Verifies a node that is not elected does not claim, and recognises the elected node once it claims. */
  @Test
  void followerWaitsForTheElectedClaim() throws Exception {
    membership.members = List.of(m("other", true, false), m("me", true, true));
    deploy("leader,worker", 1);
    JsonObject s = state();
    assertEquals(false, s.getBoolean("isLeader"));
    assertNull(s.getJsonObject("leader"), "no claim from 'other' yet");
    vertx.eventBus().publish(ClusterAddresses.LEADER_ELECTED,
        new JsonObject().put("leaderId", "other").put("leaderName", "name-other").put("term", 4));
    s = awaitState(x -> x.getJsonObject("leader") != null);
    assertEquals("other", s.getJsonObject("leader").getString("id"));
    assertEquals(4L, s.getLong("term"));
  }

  /** Verifies losing quorum removes the leader and makes the acting leader step down; regaining it re-elects. */
  @Test
  void quorum() throws Exception {
    membership.members = List.of(m("me", true, true), m("b", true, false), m("c", true, false));
    deploy("leader,worker", 3);
    assertEquals(true, awaitState(x -> x.getBoolean("isLeader")).getBoolean("isLeader"));

    membership.set(m("me", true, true));
    JsonObject s = awaitState(x -> !x.getBoolean("isLeader"));
    assertEquals(false, s.getBoolean("isLeader"));
    assertNull(s.getJsonObject("leader"));
    assertEquals(false, s.getJsonObject("quorum").getBoolean("ok"));
    assertEquals(1, s.getJsonObject("quorum").getInteger("present"));

    membership.set(m("me", true, true), m("b", true, false));
    s = awaitState(x -> x.getBoolean("isLeader"));
    assertEquals(2L, s.getLong("term"), "a new term for the new leadership");
  }

  /** Verifies a worker-only node never leads, even when it is the only member. */
  @Test
  void workerOnlyNeverLeads() throws Exception {
    membership.members = List.of(m("me", false, true));
    deploy("worker", 1);
    Thread.sleep(200);
    JsonObject s = state();
    assertEquals(false, s.getBoolean("isLeader"));
    assertNull(s.getJsonObject("leader"));
    assertEquals(0L, membership.term.get(), "no claim was made");
  }

  /** Verifies a resigned leader is passed over, so the next member takes over before the old one leaves. */
  @Test
  void resignationHandsOver() throws Exception {
    membership.members = List.of(m("old", true, false), m("me", true, true));
    deploy("leader,worker", 1);
    vertx.eventBus().publish(ClusterAddresses.LEADER_RESIGNED,
        new JsonObject().put("nodeId", "old").put("memberUuid", "uuid-old").put("term", 1));
    JsonObject s = awaitState(x -> x.getBoolean("isLeader"));
    assertEquals("me", s.getJsonObject("leader").getString("id"));
  }

  /** Verifies terms stay above what this node has seen before, even if the cluster's store starts over. */
  @Test
  void termsNeverGoBack() throws Exception {
    fence.observe(41);
    membership.members = List.of(m("me", true, true));
    deploy("leader,worker", 1);
    assertEquals(42L, awaitState(x -> x.getBoolean("isLeader")).getLong("term"));
  }
}
