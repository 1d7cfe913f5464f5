package akita.node.cluster;

import akita.node.NodeContext;
import akita.node.bus.BusError;
import akita.node.config.NodeConfig;
import akita.node.config.Role;
import akita.node.ledger.LedgerAddresses;
import akita.node.ledger.LedgerEventTypes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Elects one leader per cluster and fences it with a term.
 *
 * <p>Every node applies the same rule to the same Hazelcast member list: with a quorum of the expected
 * members present, the leader is the oldest leader-eligible member that has not resigned; without a quorum
 * there is none. The node so elected advances the cluster's term atomically ({@link Membership#claimLeadership})
 * and publishes it; the others accept it as leader once they have its claim for the highest term they
 * have seen. A leader that is no longer elected (quorum lost, an older member's claim) steps down at once.
 */
public final class LeadershipVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LeadershipVerticle.class);
  private static final long COMMAND_TIMEOUT_MS = 5_000;
  private static final long RECHECK_MS = 1_000;

  private final NodeContext node;
  private final NodeConfig cfg;
  private final Membership membership;
  private final TermFence fence;

  /** The highest term each node has claimed, from LEADER_ELECTED events and the state map. */
  private final Map<String, Long> claims = new HashMap<>();
  /** Hazelcast member UUIDs of leaders that resigned (they are leaving). */
  private final Set<String> resigned = new HashSet<>();
  private final List<MessageConsumer<?>> leaderConsumers = new java.util.ArrayList<>();
  private AutoCloseable membershipListener;
  private long actingTerm;
  private boolean claiming;
  private JsonObject published = new JsonObject();
  private Member localMember;

  /**
   * @param node this node
   * @param cfg its configuration (roles, expected members)
   * @param membership the cluster membership and term store
   * @param fence this node's term fence
   */
  public LeadershipVerticle(NodeContext node, NodeConfig cfg, Membership membership, TermFence fence) {
    this.node = node;
    this.cfg = cfg;
    this.membership = membership;
    this.fence = fence;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    var context = vertx.getOrCreateContext();
    var consumers = List.of(
        bus.<JsonObject>consumer(ClusterAddresses.LEADER_ELECTED, this::onElected),
        bus.<JsonObject>consumer(ClusterAddresses.LEADER_RESIGNED, this::onResigned),
        bus.<JsonObject>localConsumer(ClusterAddresses.LEADER_STATE, m -> m.reply(state())));
    membershipListener = membership.onChange(merged -> context.runOnContext(v -> evaluate()));
    vertx.setPeriodic(RECHECK_MS, id -> evaluate());
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> membership.lastLeadership())
        .onSuccess(last -> {
          if (last.containsKey("term")) {
            claims.merge(last.getString("leaderId"), last.getLong("term"), Math::max);
            fence.observe(last.getLong("term"));
          }
          evaluate();
        });
  }

  @Override
  public Future<?> stop() throws Exception {
    membershipListener.close();
    if (actingTerm == 0) {
      return Future.succeededFuture();
    }
    // Hand over now rather than let the others wait for this member to leave.
    long term = actingTerm;
    LOG.info("resigning leadership (term {}) for shutdown", term);
    vertx.eventBus().publish(ClusterAddresses.LEADER_RESIGNED, new JsonObject().put("nodeId", node.id())
        .put("memberUuid", localMember == null ? "" : localMember.uuid()).put("term", term));
    return stepDown("shutdown");
  }

  /** Who should lead, by the shared rule; {@code null} for nobody. */
  private Member elected(List<Member> members) {
    if (members.size() < cfg.quorum()) {
      return null;
    }
    for (Member m : members) {
      if (m.leaderEligible() && !resigned.contains(m.uuid())) {
        return m;
      }
    }
    return null;
  }

  private void evaluate() {
    List<Member> members = membership.members();
    Set<String> present = new HashSet<>();
    for (Member m : members) {
      present.add(m.uuid());
      if (m.local()) {
        localMember = m;
      }
    }
    resigned.retainAll(present);
    Member elected = elected(members);
    boolean me = elected != null && elected.local() && node.roles().contains(Role.LEADER);
    if (me && actingTerm == 0 && !claiming) {
      claim();
    } else if (!me && actingTerm != 0) {
      stepDown(elected == null ? "lost quorum (" + members.size() + " of " + cfg.expectedMembers()
          + " expected members present, " + cfg.quorum() + " needed)" : "node " + elected.name() + " is elected");
    }
    publishIfChanged(members, elected);
  }

  private void claim() {
    claiming = true;
    membership.claimLeadership(node.id(), node.name(), Math.max(fence.highest(), membership.highestTermOfMembers()))
        .compose(term -> {
          fence.observe(term);
          claims.merge(node.id(), term, Math::max);
          var drain = vertx.eventBus().<JsonObject>consumer(ClusterAddresses.LEADER_DRAIN, this::onDrain);
          leaderConsumers.add(drain);
          return drain.completion().map(term);
        })
        .onComplete(ar -> {
          claiming = false;
          if (ar.failed()) {
            LOG.error("claiming leadership failed; will retry", ar.cause());
            return;
          }
          long term = ar.result();
          actingTerm = term;
          LOG.info("this node is now the leader (term {})", term);
          vertx.eventBus().publish(ClusterAddresses.LEADER_ELECTED, new JsonObject().put("leaderId", node.id())
              .put("leaderName", node.name()).put("term", term));
          ledger(LedgerEventTypes.LEADER_ELECTED, term, new JsonObject().put("name", node.name()));
          evaluate(); // membership may have changed while claiming
        });
  }

  private Future<Void> stepDown(String why) {
    long term = actingTerm;
    actingTerm = 0;
    LOG.warn("stepping down as leader (term {}): {}", term, why);
    ledger(LedgerEventTypes.LEADER_STEPPED_DOWN, term, new JsonObject().put("reason", why));
    List<Future<Void>> closing = leaderConsumers.stream().map(MessageConsumer::unregister).toList();
    leaderConsumers.clear();
    return Future.join(closing).mapEmpty();
  }

  private void onElected(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    if (b == null || !(b.getValue("term") instanceof Number) || b.getString("leaderId") == null) {
      LOG.warn("ignored a malformed leader announcement");
      return;
    }
    long term = b.getLong("term");
    fence.observe(term);
    claims.merge(b.getString("leaderId"), term, Math::max);
    if (actingTerm != 0 && term > actingTerm) {
      stepDown("node " + b.getString("leaderName") + " claimed the higher term " + term);
    }
    evaluate();
  }

  private void onResigned(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    if (b != null && b.getString("memberUuid") != null && !b.getString("nodeId", "").equals(node.id())) {
      resigned.add(b.getString("memberUuid"));
      evaluate();
    }
  }

  /** The leader this node recognises: elected by membership and holding the highest term seen. */
  private JsonObject state() {
    List<Member> members = membership.members();
    return state(members, elected(members));
  }

  private JsonObject state(List<Member> members, Member elected) {
    JsonObject leader = null;
    if (elected != null && Objects.equals(claims.get(elected.nodeId()), fence.highest())) {
      leader = new JsonObject().put("id", elected.nodeId()).put("name", elected.name());
    }
    return new JsonObject()
        .put("leader", leader)
        .put("term", fence.highest())
        .put("isLeader", actingTerm != 0)
        .put("quorum", new JsonObject().put("expected", cfg.expectedMembers()).put("present", members.size())
            .put("needed", cfg.quorum()).put("ok", members.size() >= cfg.quorum()));
  }

  private void publishIfChanged(List<Member> members, Member elected) {
    JsonObject s = state(members, elected);
    if (!s.equals(published)) {
      JsonObject before = published;
      published = s;
      vertx.eventBus().publish(ClusterAddresses.LEADER_CHANGED, s);
      JsonObject leader = s.getJsonObject("leader");
      if (!Objects.equals(leader, before.getJsonObject("leader")) || s.getLong("term") != before.getLong("term", 0L)) {
        if (leader == null) {
          LOG.info("no leader (term {}, quorum {})", s.getLong("term"), s.getJsonObject("quorum").encode());
        } else {
          LOG.info("leader is {} ({}), term {}", leader.getString("name"), leader.getString("id"), s.getLong("term"));
        }
      }
    }
  }

  /** Leader only: drain or undrain a node by sending it a fenced command. */
  private void onDrain(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    if (b == null || b.getString("nodeId") == null || !(b.getValue("draining") instanceof Boolean)) {
      new BusError(400, "BAD_REQUEST", "a drain request needs 'nodeId' and a boolean 'draining'").failOn(msg);
      return;
    }
    long term = actingTerm;
    if (term == 0) {
      new BusError(503, "NO_LEADER", "this node is no longer the leader; retry").failOn(msg);
      return;
    }
    boolean draining = b.getBoolean("draining");
    vertx.eventBus().<JsonObject>request(ClusterAddresses.commands(b.getString("nodeId")), new JsonObject()
            .put("term", term).put("leaderId", node.id()).put("op", draining ? "drain" : "undrain"),
            new DeliveryOptions().setSendTimeout(COMMAND_TIMEOUT_MS))
        .onSuccess(reply -> {
          ledger(LedgerEventTypes.NODE_DRAIN_CHANGED, term, new JsonObject().put("nodeId", b.getString("nodeId"))
              .put("draining", draining));
          msg.reply(reply.body());
        })
        .onFailure(err -> {
          BusError e = BusError.from(err);
          if ("UNAVAILABLE".equals(e.code())) {
            e = new BusError(503, "NODE_UNREACHABLE", "node " + b.getString("nodeId") + " did not answer: "
                + e.message());
          }
          e.failOn(msg);
        });
  }

  private void ledger(String type, long term, JsonObject data) {
    vertx.eventBus().send(LedgerAddresses.APPEND, new JsonObject().put("type", type).put("subject", node.id())
        .put("term", term).put("data", data));
  }
}
