package akita.node.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@link Membership} over a Hazelcast member. The term lives in the map {@value #STATE_MAP} under
 * {@value #LEADERSHIP_KEY} and is advanced with an entry processor, which Hazelcast runs atomically on the
 * key's owner: no CP subsystem needed (ARCHITECTURE.md §7).
 */
public final class HazelcastMembership implements Membership {

  /** Member attribute: the node id of the Akita node behind a Hazelcast member. */
  public static final String ATTR_NODE_ID = "akita.nodeId";
  /** Member attribute: the node's name. */
  public static final String ATTR_NODE_NAME = "akita.nodeName";
  /** Member attribute: the highest leadership term the node had seen when it joined (from its data folder). */
  public static final String ATTR_TERM = "akita.term";
  /** Member attribute: the node's roles, comma-separated. */
  public static final String ATTR_ROLES = "akita.roles";
  /** The cluster-wide map of leadership state. */
  public static final String STATE_MAP = "akita.cluster.state";
  /** The key of the term record in {@link #STATE_MAP}. */
  public static final String LEADERSHIP_KEY = "leadership";

  private final Vertx vertx;
  private final HazelcastInstance hz;

  /**
   * @param vertx the node's Vert.x, whose context completes the futures
   * @param hz the node's Hazelcast member
   */
  public HazelcastMembership(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.hz = hz;
  }

  @Override
  public List<Member> members() {
    UUID local = hz.getCluster().getLocalMember().getUuid();
    List<Member> out = new ArrayList<>();
    for (com.hazelcast.cluster.Member m : hz.getCluster().getMembers()) {
      String nodeId = m.getAttribute(ATTR_NODE_ID);
      if (nodeId == null) {
        continue; // not an Akita node (a foreign Hazelcast member); never a leader
      }
      String roles = m.getAttribute(ATTR_ROLES);
      out.add(Member.of(m.getUuid().toString(), nodeId, m.getAttribute(ATTR_NODE_NAME),
          new HashSet<>(Arrays.asList(roles == null ? new String[0] : roles.split(","))), m.getUuid().equals(local)));
    }
    return out;
  }

  @Override
  public long highestTermOfMembers() {
    long max = 0;
    for (com.hazelcast.cluster.Member m : hz.getCluster().getMembers()) {
      try {
        String t = m.getAttribute(ATTR_TERM);
        max = t == null ? max : Math.max(max, Long.parseLong(t));
      } catch (NumberFormatException e) {
        // not a term: a foreign member
      }
    }
    return max;
  }

  @Override
  public AutoCloseable onChange(Consumer<Boolean> onChange) {
    UUID membershipId = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {
        onChange.accept(false);
      }

      @Override
      public void memberRemoved(MembershipEvent e) {
        onChange.accept(false);
      }
    });
    UUID lifecycleId = hz.getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
        onChange.accept(true);
      }
    });
    return () -> {
      if (hz.getLifecycleService().isRunning()) {
        hz.getCluster().removeMembershipListener(membershipId);
        hz.getLifecycleService().removeLifecycleListener(lifecycleId);
      }
    };
  }

  @Override
  public Future<Long> claimLeadership(String nodeId, String name, long floor) {
    IMap<String, String> map = hz.getMap(STATE_MAP);
    return Future.fromCompletionStage(map.submitToKey(LEADERSHIP_KEY, new ClaimTerm(nodeId, name, floor)),
        vertx.getOrCreateContext());
  }

  @Override
  public Future<JsonObject> lastLeadership() {
    IMap<String, String> map = hz.getMap(STATE_MAP);
    return Future.fromCompletionStage(map.getAsync(LEADERSHIP_KEY), vertx.getOrCreateContext())
        .map(v -> v == null ? new JsonObject() : new JsonObject(v));
  }

  /** Advances the term by one and records the claimant; runs on the key's owner, atomically. */
  static final class ClaimTerm implements EntryProcessor<String, String, Long> {
    private static final long serialVersionUID = 1L;
    private final String nodeId;
    private final String name;
    private final long floor;

    ClaimTerm(String nodeId, String name, long floor) {
      this.nodeId = nodeId;
      this.name = name;
      this.floor = floor;
    }

    @Override
    public Long process(Map.Entry<String, String> entry) {
      long term = entry.getValue() == null ? 0 : new JsonObject(entry.getValue()).getLong("term", 0L);
      long next = Math.max(term, floor) + 1;
      entry.setValue(new JsonObject().put("term", next).put("leaderId", nodeId).put("leaderName", name)
          .put("since", System.currentTimeMillis()).encode());
      return next;
    }
  }
}
