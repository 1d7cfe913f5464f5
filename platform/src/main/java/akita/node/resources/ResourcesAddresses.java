package akita.node.resources;

/** Event-bus addresses of resource monitoring. Contract: docs/event-bus.md and docs/resources.md. */
public final class ResourcesAddresses {

  /**
   * Local publish (sent with {@code setLocalOnly(true)}, never leaves the node). Body: one full resource sample
   * (docs/resources.md): {@code {"time", "intervalMs", "cpu": {"total", "perCore", "cores"}, "loadAverage",
   * "memory", "swap", "disks": [...], "network": [...], "openFileDescriptors", "maxFileDescriptors", "jvm"}}.
   * Published after every sample, every {@code --resources-interval-ms}.
   */
  public static final String SAMPLE = "akita.local.resources.sample";

  private static final String PREFIX = "akita.resources.";

  private ResourcesAddresses() {
  }

  /**
   * Cluster request/reply on one node. Body: {@code {"limit": n}} (optional, 0 to the history size; default
   * all). Reply: {@code {"nodeId", "intervalMs", "latest": sample | null, "history": [sample, oldest first]}}
   * with at most {@code limit} samples in {@code history}. Fails 400 INVALID_PARAMETER for a bad limit.
   *
   * @param nodeId the node whose samples are wanted
   * @return its history address
   */
  public static String history(String nodeId) {
    return PREFIX + nodeId + ".history";
  }
}
