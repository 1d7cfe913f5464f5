package akita.node.cluster;

/** How a node looks from here. */
public enum NodeHealth {
  /** Heard from within the suspect threshold, and a cluster member. */
  HEALTHY,
  /** Silent longer than the suspect threshold, still a member. */
  SUSPECT,
  /** Silent longer than the offline threshold, or no longer a cluster member. */
  OFFLINE
}
