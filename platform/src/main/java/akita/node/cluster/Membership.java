package akita.node.cluster;

import io.vertx.core.Future;
import java.util.List;

/**
 * The cluster's membership and its one piece of shared leadership state, as the cluster verticles need
 * them. Backed by Hazelcast ({@link HazelcastMembership}); an interface so the election rules can be tested
 * on their own.
 */
public interface Membership {

  /** @return the current members, oldest first (the same order on every member) */
  List<Member> members();

  /**
   * Registers a callback for any membership change (join, leave) and for a healed split brain. Called on a
   * Hazelcast thread: hop onto a Vert.x context before touching state.
   *
   * @param onChange the callback; {@code merged} is true after a split brain healed
   * @return closing it removes the callback
   */
  AutoCloseable onChange(java.util.function.Consumer<Boolean> onChange);

  /**
   * @return the highest leadership term any present member had seen when it joined (kept in its data folder,
   *     ADR 9): after a whole-cluster restart the shared term is gone, and a new leader's term must still be
   *     above every term used before; any quorum holds a member that saw the last one
   */
  default long highestTermOfMembers() {
    return 0;
  }

  /**
   * Atomically advances the cluster's term and records this node as the leader for it. The new term is
   * above both the stored term and {@code floor}, so terms keep growing across a restart of the whole
   * cluster (when Hazelcast's copy is gone but nodes remember the terms they saw).
   *
   * @param nodeId this node's id
   * @param name this node's name
   * @param floor the highest term this node has seen
   * @return the new term
   */
  Future<Long> claimLeadership(String nodeId, String name, long floor);

  /**
   * Reads the last recorded leadership.
   *
   * @return {@code {"term", "leaderId", "leaderName", "since"}}, or an empty object before any election
   */
  Future<io.vertx.core.json.JsonObject> lastLeadership();
}
