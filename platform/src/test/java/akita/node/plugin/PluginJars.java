package akita.node.plugin;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Makes variants of built plugin jars for tests: another manifest, an entry removed or replaced. */
public final class PluginJars {

  private PluginJars() {
  }

  /** Copies a jar, rewriting its manifest text. */
  public static Path withManifest(Path jar, Path target, UnaryOperator<String> edit) throws IOException {
    Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING);
    try (FileSystem fs = open(target)) {
      Path mf = fs.getPath("META-INF", "MANIFEST.MF");
      Files.writeString(mf, edit.apply(Files.readString(mf)));
    }
    return target;
  }

  /** Copies a jar without one of its entries. */
  public static Path without(Path jar, Path target, String entry) throws IOException {
    Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING);
    try (FileSystem fs = open(target)) {
      Files.delete(fs.getPath(entry));
    }
    return target;
  }

  /** Copies a jar, writing one entry. */
  public static Path withEntry(Path jar, Path target, String entry, byte[] content) throws IOException {
    Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING);
    try (FileSystem fs = open(target)) {
      Path p = fs.getPath(entry);
      if (p.getParent() != null) {
        Files.createDirectories(p.getParent());
      }
      Files.write(p, content);
    }
    return target;
  }

  private static FileSystem open(Path jar) throws IOException {
    return FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of());
  }
}
