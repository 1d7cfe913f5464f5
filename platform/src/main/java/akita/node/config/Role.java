package akita.node.config;

/** What a node may do in its cluster. */
public enum Role {
  /** May be elected leader and then schedules the cluster's work. */
  LEADER,
  /** Runs tasks. */
  WORKER;

  /** @return the lowercase name used in config and JSON */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
