package akita.node.plugin.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.api.task.TaskException;
import akita.api.task.TaskProgress;
import akita.node.plugin.LoadedPlugin;
import akita.node.plugin.PluginService;
import akita.node.testing.Plugins;
import akita.node.worker.AttemptContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The built example plugin, loaded by a real plugin service. Also a template: a plugin copied from the example
 * can be tested the same way.
 */
class ExamplePluginTest extends akita.node.testing.PluginServiceTestBase {


  /** Verifies a greeting repeated twice, with progress reported after each time. */
  @Test
  void greets() throws Exception {
    start();
    assertEquals(List.of("example.greet"), service.taskTypes());
    List<TaskProgress> progress = new CopyOnWriteArrayList<>();
    JsonObject r = result(service.run(spec(new JsonObject().put("name", "Ada").put("times", 2)), progress::add)
        .result());
    assertEquals(new JsonObject().put("greeting", "Hello, Ada!").put("times", 2)
        .put("lines", new JsonArray().add("Hello, Ada!").add("Hello, Ada!")), r);
    assertEquals(1, Plugins.run(service, "example.greet", new JsonObject().put("name", "Bo")).getInteger("times"));
    // Progress reaches the listener on a Vert.x context, after the result may already be complete.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (progress.size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(List.of(0.0, 0.5, 1.0), progress.stream().map(TaskProgress::fraction).toList());
    assertEquals("greeted 2 of 2 times", progress.get(2).message());
  }

  /** Verifies malformed payloads are refused with INVALID_PAYLOAD and a message naming the field. */
  @Test
  void refusesInvalidPayloads() throws Exception {
    start();
    Map<JsonObject, String> cases = new LinkedHashMap<>();
    cases.put(new JsonObject(), "name is required");
    cases.put(new JsonObject().put("name", 5), "name must be a non-empty string");
    cases.put(new JsonObject().put("name", "  "), "name must be a non-empty string");
    cases.put(new JsonObject().put("name", "Ada").put("times", 0), "times must be a whole number from 1 to 10");
    cases.put(new JsonObject().put("name", "Ada").put("times", 11), "times must be a whole number from 1 to 10");
    cases.put(new JsonObject().put("name", "Ada").put("times", "2"), "times must be a whole number");
    cases.put(new JsonObject().put("name", "Ada").put("times", 2.5), "times must be a whole number");
    cases.put(new JsonObject().put("name", "Ada").put("delayMs", -1), "delayMs must be a whole number");
    cases.put(new JsonObject().put("name", "Ada").put("time", 2), "unknown field 'time'");
    for (Map.Entry<JsonObject, String> c : cases.entrySet()) {
      TaskException e = failure(service.run(spec(c.getKey()), p -> { }).result());
      assertEquals(TaskException.INVALID_PAYLOAD, e.code(), c.getKey().encode());
      assertFalse(e.retryable(), c.getKey().encode());
      assertTrue(e.getMessage().contains(c.getValue()), c.getKey().encode() + " -> " + e.getMessage());
    }
  }

  /** Verifies the greeting comes from the plugin's config.json in the node's data folder. */
  @Test
  void greetingComesFromPluginConfig() throws Exception {
    writeConfig(new JsonObject().put("greeting", "Ahoy"));
    start();
    JsonObject r = Plugins.run(service, "example.greet", new JsonObject().put("name", "Grace"));
    assertEquals("Ahoy, Grace!", r.getString("greeting"));
    assertEquals(new JsonArray().add("Ahoy, Grace!"), r.getJsonArray("lines"));
  }

  /** Verifies a greeting in the config that is not a string refuses the plugin, with a message naming the key. */
  @Test
  void badGreetingRefusesThePlugin() throws Exception {
    writeConfig(new JsonObject().put("greeting", 42));
    start();
    LoadedPlugin p = service.plugins().get(0);
    assertEquals("FAILED", p.state());
    assertTrue(p.error().contains("greeting"), p.error());
    assertEquals(List.of(), service.taskTypes());
  }

  /** Verifies cancelling a running attempt ends it at once with CANCELLED, without waiting out its pauses. */
  @Test
  void cancellationStopsTheAttempt() throws Exception {
    start();
    CompletableFuture<Void> started = new CompletableFuture<>();
    PluginService.Running running = service.run(spec(new JsonObject().put("name", "Ada").put("times", 10)
        .put("delayMs", 5_000)), p -> {
          if (p.fraction() > 0) {
            started.complete(null); // the first greeting is written; the attempt now pauses for 5 s
          }
        });
    started.get(3, TimeUnit.SECONDS);
    long begun = System.nanoTime();
    running.context().cancel("test");
    TaskException e = failure(running.result());
    assertEquals(TaskException.CANCELLED, e.code());
    assertFalse(e.retryable());
    assertTrue(e.getMessage().contains("test"), e.getMessage());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun) < 2_000);
  }

  // ---- helpers ----------------------------------------------------------------------------------------

  private void start() throws Exception {
    service = Plugins.start(vertx, dir, Set.of(), Plugins.builtJar("example"));
  }

  /** Writes the plugin's config where the node looks for it: {@code <data dir>/plugins-data/<plugin id>}. */
  private void writeConfig(JsonObject config) throws Exception {
    Path pluginData = Files.createDirectories(dir.resolve("data").resolve("plugins-data").resolve("example"));
    Files.writeString(pluginData.resolve("config.json"), config.encode());
  }

  private static AttemptContext.Spec spec(JsonObject payload) {
    return Plugins.spec("example.greet", payload, Duration.ofSeconds(30));
  }

  private static JsonObject result(Future<JsonObject> result) throws Exception {
    return result.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static TaskException failure(Future<JsonObject> result) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> result.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
    return assertInstanceOf(TaskException.class, e.getCause());
  }
}
