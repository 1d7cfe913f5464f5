package akita.node.plugin;

/** Event-bus addresses of the plugin service. Contract: docs/event-bus.md. */
public final class PluginAddresses {

  /**
   * Local request/reply. Body: {@code {}}. Reply: {@code {"plugins": [LoadedPlugin JSON], "taskTypes":
   * [string], "capabilities": [string]}}: this node's plugins, the task types it runs and the capabilities
   * its executors provide.
   */
  public static final String LOCAL = "akita.plugins.local";

  /** Local publish. Body: as {@link #LOCAL}'s reply. This node's plugins changed (loaded, upgraded, removed). */
  public static final String CHANGED = "akita.plugins.changed";

  /**
   * Local request/reply. Body: the jar's bytes (a Buffer); headers {@code sha256} (optional, verified) and
   * {@code deployedBy}. Deploys the jar to the whole cluster. Reply: the catalog entry {@code {"id", "version",
   * "sha256", "size", "deployedAt", "deployedBy"}}. Fails 400 INVALID_PLUGIN / INCOMPATIBLE_PLUGIN /
   * CHECKSUM_MISMATCH / PLUGIN_START_FAILED, 409 PLUGIN_CONFLICT.
   */
  public static final String DEPLOY = "akita.plugins.deploy";

  /**
   * Local request/reply. Body: {@code {"id"}}. Removes a cluster-deployed plugin from every node. Reply: the
   * removed catalog entry. Fails 404 PLUGIN_NOT_FOUND, 409 PLUGIN_CONFLICT (installed from a plugins folder).
   */
  public static final String REMOVE = "akita.plugins.remove";

  /** Local request/reply. Body: {@code {}}. Reply: {@code {"catalog": [entry]}}, the cluster-deployed plugins. */
  public static final String CATALOG = "akita.plugins.catalog";

  private PluginAddresses() {
  }
}
