package akita.node;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The platform's version, as the build wrote it. */
public final class Version {

  /** The version, such as {@code 0.1.0-SNAPSHOT}. */
  public static final String CURRENT = read();

  private Version() {
  }

  private static String read() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
