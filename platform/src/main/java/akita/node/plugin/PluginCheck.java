package akita.node.plugin;

import akita.api.PluginApi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import org.pf4j.DefaultVersionManager;
import org.pf4j.VersionManager;

/**
 * Checks a jar before PF4J sees it, so a bad jar is refused with a message that says exactly what is
 * wrong: not a zip, no PF4J descriptor, built for another plugin API, or no extension index.
 */
public final class PluginCheck {

  /** What the manifest of a valid plugin says. */
  public record Descriptor(String id, String version, String requires, String description) {
  }

  private static final VersionManager VERSIONS = new DefaultVersionManager();

  private PluginCheck() {
  }

  /**
   * @param jar the file
   * @return its descriptor
   * @throws PluginException with code {@code INVALID_PLUGIN} or {@code INCOMPATIBLE_PLUGIN}
   */
  public static Descriptor check(Path jar) {
    String name = jar.getFileName().toString();
    if (!Files.isRegularFile(jar)) {
      throw PluginException.invalid(name + " is not a file");
    }
    try (JarFile jf = new JarFile(jar.toFile())) {
      Manifest mf = jf.getManifest();
      Attributes a = mf == null ? new Attributes() : mf.getMainAttributes();
      String id = a.getValue("Plugin-Id");
      String version = a.getValue("Plugin-Version");
      if (id == null || id.isBlank() || version == null || version.isBlank()) {
        throw PluginException.invalid(name + " has no PF4J descriptor: its manifest needs Plugin-Id and "
            + "Plugin-Version (see docs/plugins.md)");
      }
      if (!id.matches("[a-z][a-z0-9._-]{0,63}")) {
        throw PluginException.invalid(name + ": Plugin-Id '" + id + "' must be lowercase letters, digits, '.', '_' "
            + "or '-', starting with a letter");
      }
      String requires = a.getValue("Plugin-Requires");
      if (requires == null || requires.isBlank() || "*".equals(requires.trim())) {
        throw PluginException.incompatible(name + " (plugin " + id + ") does not declare Plugin-Requires; plugins "
            + "must name the plugin API versions they were built for, e.g. '>=1.0.0 & <2.0.0'");
      }
      boolean ok;
      try {
        ok = VERSIONS.checkVersionConstraint(PluginApi.VERSION, requires.trim());
      } catch (RuntimeException e) {
        throw PluginException.invalid(name + ": Plugin-Requires '" + requires + "' is not a version range");
      }
      if (!ok) {
        throw PluginException.incompatible("plugin " + id + " " + version + " requires plugin API " + requires.trim()
            + ", but this node provides " + PluginApi.VERSION + "; rebuild it against this API");
      }
      ZipEntry idx = jf.getEntry("META-INF/extensions.idx");
      if (idx == null || !hasExtension(jf, idx)) {
        throw PluginException.invalid(name + " (plugin " + id + ") has no extensions in META-INF/extensions.idx: "
            + "annotate the executor with @Extension and keep PF4J's annotation processor on the build");
      }
      return new Descriptor(id, version, requires.trim(), a.getValue("Plugin-Description"));
    } catch (ZipException e) {
      throw PluginException.invalid(name + " is not a jar (zip) file: " + e.getMessage());
    } catch (IOException e) {
      throw PluginException.invalid("cannot read " + name + ": " + e.getMessage());
    }
  }

  private static boolean hasExtension(JarFile jf, ZipEntry idx) throws IOException {
    String text = new String(jf.getInputStream(idx).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    return text.lines().map(String::strip).anyMatch(l -> !l.isEmpty() && !l.startsWith("#"));
  }
}
