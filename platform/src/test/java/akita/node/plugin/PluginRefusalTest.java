package akita.node.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.Plugins;
import akita.node.testing.TestPluginBuilder;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad plugin jar is refused with a clear error, and the node's other plugins keep working.
 * Each test loads the bad jar next to the real noop plugin.
 */
class PluginRefusalTest extends akita.node.testing.PluginServiceTestBase {


  /** Loads the bad jar beside noop; asserts noop still runs; returns the refusal's error text. */
  private String refusal(Path bad) throws Exception {
    service = Plugins.start(vertx, dir, Set.of(), Plugins.builtJar("noop"), bad);
    JsonObject payload = new JsonObject().put("still", "serving");
    assertEquals(payload, Plugins.run(service, "echo", payload), "the good plugin keeps working");
    List<LoadedPlugin> failed = service.plugins().stream().filter(p -> p.state().equals("FAILED")).toList();
    assertEquals(1, failed.size(), "exactly the bad jar is refused: " + service.plugins());
    return failed.get(0).error();
  }

  private static String greeter(String version) {
    return TestPluginBuilder.executor("t.greet", "Greeter", "greet", version);
  }

  /** Verifies a jar without Plugin-Id/Plugin-Version is refused as having no descriptor. */
  @Test
  void noDescriptor() throws Exception {
    Path bad = PluginJars.withManifest(Plugins.builtJar("noop"), dir.resolve("nodesc.jar"),
        m -> m.replaceAll("Plugin-Id: .*\\R", "").replaceAll("Plugin-Version: .*\\R", ""));
    String error = refusal(bad);
    assertTrue(error.startsWith("INVALID_PLUGIN: nodesc.jar has no PF4J descriptor"), error);
  }

  /** Verifies a plugin built for another API major version is refused, naming both versions. */
  @Test
  void wrongApiVersion() throws Exception {
    Path bad = TestPluginBuilder.plugin("future").requires(">=2.0.0 & <3.0.0")
        .source("t.greet.Greeter", greeter("1")).build(dir);
    String error = refusal(bad);
    assertTrue(error.startsWith("INCOMPATIBLE_PLUGIN: plugin future 1.0.0 requires plugin API >=2.0.0 & <3.0.0, "
        + "but this node provides 1.0.0"), error);
  }

  /** Verifies a plugin that does not say which API it needs is refused. */
  @Test
  void noRequires() throws Exception {
    Path bad = TestPluginBuilder.plugin("vague").requires(null).source("t.greet.Greeter", greeter("1")).build(dir);
    assertTrue(refusal(bad).contains("does not declare Plugin-Requires"));
  }

  /** Verifies a jar without META-INF/extensions.idx (the PF4J index) is refused. */
  @Test
  void noExtensionIndex() throws Exception {
    Path bad = PluginJars.without(PluginJars.withManifest(Plugins.builtJar("noop"), dir.resolve("noidx.jar"),
        m -> m.replace("Plugin-Id: noop", "Plugin-Id: noidx")), dir.resolve("noidx2.jar"), "META-INF/extensions.idx");
    String error = refusal(bad);
    assertTrue(error.contains("has no extensions in META-INF/extensions.idx"), error);
  }

  /** Verifies an executor whose classes fail to load (a class it needs is missing) is refused. */
  @Test
  void classesThatFailToLoad() throws Exception {
    Path bad = TestPluginBuilder.plugin("broken")
        .source("t.broken.Helper", "package t.broken; public class Helper { }")
        .source("t.broken.Broken", "package t.broken;\n"
            + "import akita.api.task.*; import io.vertx.core.*; import io.vertx.core.json.JsonObject;\n"
            + "@org.pf4j.Extension public final class Broken implements TaskExecutor {\n"
            + "  private final Helper helper = new Helper();\n"
            + "  public java.util.Set<String> taskTypes() { return java.util.Set.of(\"broken\"); }\n"
            + "  public Future<JsonObject> execute(TaskContext c) { return Future.succeededFuture(); }\n"
            + "}\n")
        .omit("t.broken.Helper")
        .build(dir);
    String error = refusal(bad);
    assertTrue(error.startsWith("INVALID_PLUGIN: plugin broken"), error);
    assertEquals(List.of("echo", "noop"), service.taskTypes(), "no task type of the broken plugin is offered");
  }

  /** Verifies an executor that throws in start() is refused and rolled back. */
  @Test
  void executorThatThrowsOnStart() throws Exception {
    Path bad = TestPluginBuilder.plugin("angry")
        .source("t.angry.Angry", "package t.angry;\n"
            + "import akita.api.task.*; import io.vertx.core.*; import io.vertx.core.json.JsonObject;\n"
            + "@org.pf4j.Extension public final class Angry implements TaskExecutor {\n"
            + "  public java.util.Set<String> taskTypes() { return java.util.Set.of(\"angry\"); }\n"
            + "  public Future<Void> start(ExecutorContext c) { throw new IllegalStateException(\"no database\"); }\n"
            + "  public Future<JsonObject> execute(TaskContext c) { return Future.succeededFuture(); }\n"
            + "}\n")
        .build(dir);
    String error = refusal(bad);
    assertTrue(error.startsWith("PLUGIN_START_FAILED: plugin angry: Angry failed to start"), error);
    assertTrue(error.contains("no database"), error);
    assertEquals(List.of("echo", "noop"), service.taskTypes());
  }

  /** Verifies a task type with characters outside the allowed set is refused. */
  @Test
  void badTaskTypeName() throws Exception {
    Path bad = TestPluginBuilder.plugin("shouty").source("t.s.S",
        TestPluginBuilder.executor("t.s", "S", "SHOUT", "1")).build(dir);
    assertTrue(refusal(bad).contains("task type 'SHOUT' must be lowercase"));
  }
}
