package akita.node.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.api.task.TaskContext;
import akita.api.task.TaskExecutor;
import akita.node.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginServiceTest {

  @TempDir
  Path dir;

  private static Path builtIn(String prefix) throws Exception {
    try (Stream<Path> s = Files.list(TestNodes.PLUGINS)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow(
          () -> new AssertionError("the build did not copy the " + prefix + " plugin to " + TestNodes.PLUGINS));
    }
  }

  /** Verifies the built noop plugin jar loads in its own class loader and runs echo and noop. */
  @Test
  void loadsBuiltInNoopPlugin() throws Exception {
    Files.copy(builtIn("noop-plugin"), dir.resolve("noop.jar"));
    PluginService service = new PluginService(dir);
    service.start();
    try {
      assertEquals(List.of("echo", "noop"), service.taskTypes());
      LoadedPlugin p = service.plugins().get(0);
      assertEquals("noop", p.id());
      assertEquals("STARTED", p.state());
      TaskExecutor echo = service.executor("echo");
      assertNotNull(echo);
      assertTrue(echo.getClass().getClassLoader() instanceof PlatformPluginClassLoader,
          "plugin classes come from the plugin's class loader");
      Vertx vertx = Vertx.vertx();
      try {
        JsonObject payload = new JsonObject().put("hello", "world");
        JsonObject result = echo.execute(context(vertx, "echo", payload)).await();
        assertEquals(payload, result);
        assertEquals(new JsonObject(), service.executor("noop").execute(context(vertx, "noop", payload)).await());
      } finally {
        vertx.close().await();
      }
    } finally {
      service.stop();
    }
  }

  /** Verifies a jar that is not a plugin is skipped and the good plugin still loads. */
  @Test
  void badJarDoesNotStopTheOthers() throws Exception {
    Files.copy(builtIn("noop-plugin"), dir.resolve("noop.jar"));
    Files.writeString(dir.resolve("broken.jar"), "not a zip file");
    PluginService service = new PluginService(dir);
    service.start();
    try {
      assertEquals(List.of("echo", "noop"), service.taskTypes());
      assertNull(service.executor("broken"));
    } finally {
      service.stop();
    }
  }

  /** Verifies two plugins claiming the same task type: the second is refused with a clear error. */
  @Test
  void duplicateTaskTypeIsRefused() throws Exception {
    Path jar = builtIn("noop-plugin");
    Files.copy(jar, dir.resolve("a.jar"));
    // Same classes, another plugin id: rewrite the manifest's Plugin-Id.
    Path copy = dir.resolve("b.jar");
    Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
    try (var fs = java.nio.file.FileSystems.newFileSystem(copy)) {
      Path mf = fs.getPath("META-INF", "MANIFEST.MF");
      Files.writeString(mf, Files.readString(mf).replace("Plugin-Id: noop", "Plugin-Id: noop-copy"));
    }
    PluginService service = new PluginService(dir);
    service.start();
    try {
      assertEquals(List.of("echo", "noop"), service.taskTypes());
      LoadedPlugin refused = service.plugins().stream().filter(p -> "FAILED".equals(p.state())).findFirst()
          .orElseThrow(() -> new AssertionError("one plugin should be refused: " + service.plugins()));
      assertTrue(refused.error().contains("already provided by another plugin"), refused.error());
    } finally {
      service.stop();
    }
  }

  private static TaskContext context(Vertx vertx, String type, JsonObject payload) {
    return new TaskContext() {
      public String taskId() {
        return "t1";
      }

      public String taskType() {
        return type;
      }

      public int attempt() {
        return 1;
      }

      public JsonObject payload() {
        return payload;
      }

      public Instant deadline() {
        return Instant.now().plusSeconds(10);
      }

      public boolean isCancelled() {
        return false;
      }

      public Future<Void> cancellation() {
        return io.vertx.core.Promise.<Void>promise().future();
      }

      public Vertx vertx() {
        return vertx;
      }

      public <T> Future<T> executeBlocking(Callable<T> work) {
        return vertx.executeBlocking(work);
      }
    };
  }
}
