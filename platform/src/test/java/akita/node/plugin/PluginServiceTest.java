package akita.node.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.api.task.TaskException;
import akita.node.testing.Plugins;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The plugin service over real PF4J and the jars the build produced. */
class PluginServiceTest extends akita.node.testing.PluginServiceTestBase {


  /** Verifies the built noop plugin loads in its own class loader and runs echo and noop. */
  @Test
  void loadsBuiltInNoopPlugin() throws Exception {
    service = Plugins.start(vertx, dir, Set.of(), Plugins.builtJar("noop"));
    assertEquals(List.of("echo", "noop"), service.taskTypes());
    LoadedPlugin p = service.plugins().get(0);
    assertEquals("noop", p.id());
    assertEquals("STARTED", p.state());
    JsonObject payload = new JsonObject().put("hello", "world");
    assertEquals(payload, Plugins.run(service, "echo", payload));
    assertEquals(new JsonObject(), Plugins.run(service, "noop", payload));
  }

  /** Verifies an unknown task type fails the attempt with a clear, retryable error. */
  @Test
  void unknownTypeFailsTheAttempt() throws Exception {
    service = Plugins.start(vertx, dir, Set.of(), Plugins.builtJar("noop"));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> Plugins.run(service, "nope", new JsonObject()));
    TaskException te = assertInstanceOf(TaskException.class, e.getCause());
    assertEquals("UNKNOWN_TASK_TYPE", te.code());
  }

  /** Verifies a jar that is not a zip is refused with a message, and the good plugin still loads. */
  @Test
  void notAZipIsRefused() throws Exception {
    Path broken = dir.resolve("broken.jar");
    Files.writeString(broken, "not a zip file");
    service = Plugins.start(vertx, dir, Set.of(), Plugins.builtJar("noop"), broken);
    assertEquals(List.of("echo", "noop"), service.taskTypes());
    LoadedPlugin refused = service.plugins().stream().filter(p -> p.state().equals("FAILED")).findFirst()
        .orElseThrow();
    assertEquals("broken.jar", refused.id());
    assertTrue(refused.error().startsWith("INVALID_PLUGIN: broken.jar is not a jar (zip) file"), refused.error());
  }

  /** Verifies two plugins claiming the same task type: the second is refused with PLUGIN_CONFLICT. */
  @Test
  void duplicateTaskTypeIsRefused() throws Exception {
    Path copy = PluginJars.withManifest(Plugins.builtJar("noop"), dir.resolve("copy.jar"),
        m -> m.replace("Plugin-Id: noop", "Plugin-Id: noop-copy"));
    service = Plugins.start(vertx, dir, Set.of(), Plugins.builtJar("noop"), copy);
    assertEquals(List.of("echo", "noop"), service.taskTypes());
    LoadedPlugin refused = service.plugins().stream().filter(p -> "FAILED".equals(p.state())).findFirst()
        .orElseThrow(() -> new AssertionError("one plugin should be refused: " + service.plugins()));
    assertTrue(refused.error().startsWith("PLUGIN_CONFLICT:"), refused.error());
    assertTrue(refused.error().contains("already provided by plugin noop"), refused.error());
  }
}
