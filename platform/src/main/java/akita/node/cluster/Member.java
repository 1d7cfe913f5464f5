package akita.node.cluster;

import java.util.Set;

/**
 * A Hazelcast member as Akita sees it.
 *
 * @param uuid the Hazelcast member UUID (changes when a node restarts)
 * @param nodeId the Akita node id behind it
 * @param name the node name
 * @param leaderEligible whether it may be elected
 * @param local whether it is this node
 */
public record Member(String uuid, String nodeId, String name, boolean leaderEligible, boolean local) {

  static Member of(String uuid, String nodeId, String name, Set<String> roles, boolean local) {
    return new Member(uuid, nodeId, name, roles.contains("leader"), local);
  }
}
