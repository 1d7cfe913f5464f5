package akita.node.cluster;

/** Event-bus addresses of discovery and leadership. Contract: docs/event-bus.md. */
public final class ClusterAddresses {

  /** Publish, cluster-wide. Body: {@link NodeInfo} JSON. Every node announces itself here each heartbeat. */
  public static final String ANNOUNCE = "akita.cluster.announce";

  /**
   * Publish, cluster-wide. Body: {@code {"leaderId", "leaderName", "term"}}. Sent by a node that has just
   * become leader with a new term.
   */
  public static final String LEADER_ELECTED = "akita.cluster.leader.elected";

  /** Publish, cluster-wide. Body: {@code {"nodeId", "term"}}. A leader hands over before it leaves. */
  public static final String LEADER_RESIGNED = "akita.cluster.leader.resigned";

  /**
   * Local request/reply. Body: {@code {}} or {@code {"nodeId": id-or-name}}. Reply: the cluster view
   * (GET /api/v1/cluster's shape without leader fields), or one node; fails 404 NODE_NOT_FOUND.
   */
  public static final String VIEW = "akita.cluster.view";

  /**
   * Local request/reply. Body: {@code {}}. Reply: {@code {"leader": {"id","name"} | null, "term",
   * "quorum": {"expected","present","ok"}, "isLeader"}}.
   */
  public static final String LEADER_STATE = "akita.cluster.leader.state";

  /**
   * Local publish. Body: as {@link #LEADER_STATE}'s reply. This node's idea of the leader changed (new leader,
   * new term, no leader).
   */
  public static final String LEADER_CHANGED = "akita.cluster.leader.changed";

  /**
   * Cluster request/reply, registered only on the acting leader. Body: {@code {"nodeId", "draining": bool}}.
   * Reply: the target's command reply {@code {"ok", "term", "node": NodeInfo JSON}}. Fails 503 NODE_UNREACHABLE
   * when the target does not answer; NO_HANDLERS means there is no leader.
   */
  public static final String LEADER_DRAIN = "akita.cluster.leader.drain";

  private static final String NODE_PREFIX = "akita.node.";

  private ClusterAddresses() {
  }

  /**
   * Cluster request/reply on one node: leader commands, fenced by term. Body:
   * {@code {"term", "leaderId", "op", ...}}; ops: {@code drain}, {@code undrain}. Reply: {@code {"ok": true,
   * "term"}}. Fails 409 STALE_TERM for a term lower than the node has seen, 400 for an unknown op.
   *
   * @param nodeId the target node
   * @return its command address
   */
  public static String commands(String nodeId) {
    return NODE_PREFIX + nodeId + ".commands";
  }

  /**
   * Cluster request/reply on one node: answers {@code {}} at once, for RTT measurement.
   *
   * @param nodeId the target node
   * @return its ping address
   */
  public static String ping(String nodeId) {
    return NODE_PREFIX + nodeId + ".ping";
  }
}
