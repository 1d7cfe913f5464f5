package akita.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Facts about the plugin API that plugins and the platform agree on.
 *
 * <p>A plugin declares the API versions it was built for in its manifest as a semantic-version range
 * ({@code Plugin-Requires: >=1.0.0 & <2.0.0}); the platform refuses a plugin whose range does not include
 * {@link #VERSION}.
 */
public final class PluginApi {

  /** The version of this API, a semantic version such as {@code 1.0.0}. */
  public static final String VERSION = readVersion();

  private PluginApi() {
  }

  private static String readVersion() {
    try (InputStream in = PluginApi.class.getResourceAsStream("plugin-api.properties")) {
      if (in == null) {
        throw new IllegalStateException("akita/api/plugin-api.properties is missing from the plugin API jar");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
