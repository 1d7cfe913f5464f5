package akita.node.plugin;

/** A plugin operation that failed; {@link #code()} is the stable code the API reports. */
public final class PluginException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The jar is not a usable plugin (not a zip, no descriptor, no extensions, classes that do not load). */
  public static final String INVALID_PLUGIN = "INVALID_PLUGIN";
  /** The plugin was built for another plugin API version. */
  public static final String INCOMPATIBLE_PLUGIN = "INCOMPATIBLE_PLUGIN";
  /** The plugin conflicts with one already loaded (same task type). */
  public static final String PLUGIN_CONFLICT = "PLUGIN_CONFLICT";
  /** The plugin's executor failed to start. */
  public static final String PLUGIN_START_FAILED = "PLUGIN_START_FAILED";
  /** An uploaded jar does not match the SHA-256 its uploader declared. */
  public static final String CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH";
  /** No such plugin. */
  public static final String PLUGIN_NOT_FOUND = "PLUGIN_NOT_FOUND";

  private final String code;

  public PluginException(String code, String message) {
    super(message);
    this.code = code;
  }

  static PluginException invalid(String message) {
    return new PluginException(INVALID_PLUGIN, message);
  }

  static PluginException incompatible(String message) {
    return new PluginException(INCOMPATIBLE_PLUGIN, message);
  }

  /** @return the stable code */
  public String code() {
    return code;
  }

  /** @return the HTTP-like status for this code */
  public int status() {
    return switch (code) {
      case PLUGIN_CONFLICT -> 409;
      case PLUGIN_NOT_FOUND -> 404;
      default -> 400;
    };
  }
}
