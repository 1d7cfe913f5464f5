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

  private PluginAddresses() {
  }
}
