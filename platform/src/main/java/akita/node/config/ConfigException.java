package akita.node.config;

/** Invalid configuration: the message names the option, where its value came from, and the problem. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
