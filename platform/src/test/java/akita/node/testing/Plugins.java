package akita.node.testing;

import akita.node.plugin.PluginService;
import akita.node.worker.AttemptContext;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Loads the plugin jars the build produced into a real {@link PluginService}, for plugin tests. */
public final class Plugins {

  private Plugins() {
  }

  /**
   * @param id a built-in plugin id: noop, shell, http, example
   * @return its jar, as the build copied it to target/plugins
   */
  public static Path builtJar(String id) throws Exception {
    try (Stream<Path> s = Files.list(TestNodes.PLUGINS)) {
      return s.filter(p -> p.getFileName().toString().startsWith(id + "-plugin-")).findFirst().orElseThrow(
          () -> new AssertionError("the build did not copy the " + id + " plugin to " + TestNodes.PLUGINS));
    }
  }

  /**
   * Copies jars into a fresh plugins folder and starts a plugin service over it (no folder rescans).
   *
   * @param vertx the Vert.x to run on
   * @param dir a temporary folder for the plugins and data
   * @param capabilities the node's capabilities
   * @param jars the jars to install
   * @return the started service
   */
  public static PluginService start(Vertx vertx, Path dir, Set<String> capabilities, Path... jars) throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    for (Path jar : jars) {
      Path target = plugins.resolve(jar.getFileName());
      Files.copy(jar, target);
      // Older than the settle time, so the first scan takes it.
      Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 5_000));
    }
    PluginService service = new PluginService(vertx, plugins, dir.resolve("data"), capabilities, 8);
    service.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return service;
  }

  /**
   * @param type the task type
   * @param payload the payload
   * @param timeout how long the attempt may run
   * @return an attempt spec with a fresh task id
   */
  public static AttemptContext.Spec spec(String type, JsonObject payload, Duration timeout) {
    return new AttemptContext.Spec(UUID.randomUUID().toString(), type, 1, payload, Instant.now().plus(timeout),
        Map.of());
  }

  /**
   * Runs one attempt and waits for its result.
   *
   * @return the result
   * @throws java.util.concurrent.ExecutionException with the executor's failure as cause
   */
  public static JsonObject run(PluginService service, String type, JsonObject payload) throws Exception {
    return service.run(spec(type, payload, Duration.ofSeconds(30)), p -> { }).result()
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
