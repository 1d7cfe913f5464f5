package akita.node.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.api.task.TaskException;
import akita.node.boot.Node;
import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.Plugins;
import akita.node.testing.TestNodes;
import akita.node.testing.TestPluginBuilder;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A running node picks up jars dropped into, replaced in and removed from its plugins folder. */
class HotDeployTest {

  @TempDir
  Path dir;

  private Node node;

  @AfterEach
  void stop() throws Exception {
    TestNodes.stop(node);
  }

  private Node start(Path pluginsDir) throws Exception {
    Files.createDirectories(pluginsDir);
    Files.copy(Plugins.builtJar("noop"), pluginsDir.resolve("noop.jar"));
    Map<ConfigOption, String> flags = TestNodes.flags(dir.resolve("data"), TestNodes.uniqueCluster());
    flags.put(ConfigOption.PLUGINS_DIR, pluginsDir.toString());
    flags.put(ConfigOption.PLUGINS_SCAN_MS, "100");
    node = TestNodes.start(flags, Map.of());
    return node;
  }

  private JsonObject status() throws Exception {
    return Http.get("http://127.0.0.1:" + node.apiPort() + "/api/v1/status").json();
  }

  private JsonObject await(Predicate<JsonObject> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonObject s = status();
    while (!p.test(s)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("status never matched: " + s.encodePrettily());
      }
      Thread.sleep(50);
      s = status();
    }
    return s;
  }

  /** Copies a jar into the folder as if it had been written a few seconds ago (past the settle time). */
  private static void drop(Path jar, Path target) throws Exception {
    Path tmp = target.resolveSibling(target.getFileName() + ".part");
    Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(tmp, FileTime.fromMillis(System.currentTimeMillis() - 5_000));
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private JsonObject greet() throws Exception {
    return Plugins.run(node.plugins(), "greet", new JsonObject().put("who", "ada"));
  }

  /** Verifies load, upgrade in place and removal of a plugin while the node runs, with re-announcement. */
  @Test
  void dropUpgradeRemove() throws Exception {
    Path plugins = dir.resolve("plugins");
    start(plugins);
    Path v1 = TestPluginBuilder.plugin("greeter").version("1.0.0")
        .source("t.greet.Greeter", TestPluginBuilder.executor("t.greet", "Greeter", "greet", "1.0.0"))
        .build(Files.createDirectories(dir.resolve("v1")));
    Path v2 = TestPluginBuilder.plugin("greeter").version("2.0.0")
        .source("t.greet.Greeter", TestPluginBuilder.executor("t.greet", "Greeter", "greet", "2.0.0"))
        .build(Files.createDirectories(dir.resolve("v2")));

    drop(v1, plugins.resolve("greeter.jar"));
    await(s -> s.getJsonArray("taskTypes").contains("greet"));
    assertEquals("1.0.0", greet().getString("version"));
    // Re-announced: the cluster view shows the new type too.
    String self = "http://127.0.0.1:" + node.apiPort() + "/api/v1/nodes/" + node.context().id();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Http.get(self).json().getJsonArray("taskTypes").contains("greet") && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(Http.get(self).json().getJsonArray("taskTypes").contains("greet"));

    drop(v2, plugins.resolve("greeter.jar"));
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String version = greetVersion();
    while (!"2.0.0".equals(version) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      version = greetVersion();
    }
    assertEquals("2.0.0", version, "upgraded in place");

    Files.delete(plugins.resolve("greeter.jar"));
    await(s -> !s.getJsonArray("taskTypes").contains("greet"));
    ExecutionException gone = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, this::greet);
    assertEquals("UNKNOWN_TASK_TYPE", assertInstanceOf(TaskException.class, gone.getCause()).code());
    assertEquals(200, Http.get("http://127.0.0.1:" + node.apiPort() + "/health").status());
  }

  private String greetVersion() throws Exception {
    try {
      return greet().getString("version");
    } catch (ExecutionException e) {
      return "unavailable"; // between unload and load
    }
  }

  /** Verifies a bad jar dropped in is refused and reported, and the node serves on. */
  @Test
  void badJarDroppedIn() throws Exception {
    Path plugins = dir.resolve("plugins");
    start(plugins);
    Path junk = dir.resolve("junk.jar");
    Files.writeString(junk, "definitely not a zip");
    drop(junk, plugins.resolve("junk.jar"));
    JsonObject listing = awaitPlugins(l -> l.encode().contains("junk.jar"));
    assertTrue(listing.encode().contains("is not a jar (zip) file"), listing.encode());
    assertEquals("[\"echo\",\"noop\"]", status().getJsonArray("taskTypes").encode());
    assertEquals(200, Http.get("http://127.0.0.1:" + node.apiPort() + "/health").status());
  }

  private JsonObject awaitPlugins(Predicate<JsonObject> p) throws Exception {
    String url = "http://127.0.0.1:" + node.apiPort() + "/api/v1/plugins";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonObject l = Http.get(url).json();
    while (!p.test(l)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("plugins never matched: " + l.encodePrettily());
      }
      Thread.sleep(50);
      l = Http.get(url).json();
    }
    return l;
  }

  /** Verifies unloading waits for a running attempt, then cancels it after the drain timeout. */
  @Test
  void unloadCancelsRunningAttemptsAfterTheDrainTimeout() throws Exception {
    Path plugins = dir.resolve("plugins");
    start(plugins);
    Path v1 = TestPluginBuilder.plugin("greeter")
        .source("t.greet.Greeter", TestPluginBuilder.executor("t.greet", "Greeter", "greet", "1.0.0"))
        .build(Files.createDirectories(dir.resolve("v1")));
    drop(v1, plugins.resolve("greeter.jar"));
    await(s -> s.getJsonArray("taskTypes").contains("greet"));
    PluginService.Running slow = node.plugins().run(Plugins.spec("greet", new JsonObject().put("waitMs", 60_000),
        Duration.ofMinutes(1)), p -> { });
    long t0 = System.nanoTime();
    node.plugins().uninstall("greeter", 300).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> slow.result().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertEquals(TaskException.CANCELLED, assertInstanceOf(TaskException.class, e.getCause()).code());
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(ms >= 300 && ms < 10_000, "waited for the drain timeout, then cancelled: " + ms + " ms");
    assertTrue(slow.context().isCancelled());
  }
}
