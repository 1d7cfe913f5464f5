package akita.node.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The build's own check of the plugin jars it ships: each has a PF4J descriptor, an API range this node
 * accepts, and a non-empty extension index (the pitfall of STYLE.md §10.3), and every built-in plugin is
 * there.
 */
class BuiltPluginJarsTest {

  @Test
  void everyBuiltInPluginJarHasItsIndexAndDescriptor() throws Exception {
    List<Path> jars;
    try (Stream<Path> s = Files.list(TestNodes.PLUGINS)) {
      jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
    }
    Set<String> ids = new TreeSet<>();
    for (Path jar : jars) {
      PluginCheck.Descriptor d = PluginCheck.check(jar);
      ids.add(d.id());
      try (JarFile jf = new JarFile(jar.toFile())) {
        String idx = new String(jf.getInputStream(jf.getEntry("META-INF/extensions.idx")).readAllBytes());
        assertTrue(idx.lines().anyMatch(l -> l.startsWith("akita.plugins.")), jar + " indexes its executor: " + idx);
        assertTrue(jf.stream().noneMatch(e -> e.getName().startsWith("akita/api/")
            || e.getName().startsWith("io/vertx/")), jar + " must not bundle the API or Vert.x (provided scope)");
      }
    }
    assertEquals(Set.of("example", "http", "noop", "shell"), ids);
  }
}
