package akita.node.testing;

import akita.api.task.TaskExecutor;
import io.vertx.core.Future;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.pf4j.Extension;

/**
 * Builds real plugin jars inside a test: compiles Java sources against the plugin API with the JDK's
 * compiler and PF4J's annotation processor (so {@code META-INF/extensions.idx} is generated as in a real
 * build), and packages them with a PF4J manifest. Used for second versions of a plugin and for every kind
 * of bad plugin.
 */
public final class TestPluginBuilder {

  private final String id;
  private String version = "1.0.0";
  private String requires = ">=1.0.0 & <2.0.0";
  private final Map<String, String> sources = new LinkedHashMap<>();
  private final List<String> omit = new ArrayList<>();

  private TestPluginBuilder(String id) {
    this.id = id;
  }

  /** @return a builder for a plugin with this id */
  public static TestPluginBuilder plugin(String id) {
    return new TestPluginBuilder(id);
  }

  /** Sets Plugin-Version. */
  public TestPluginBuilder version(String v) {
    this.version = v;
    return this;
  }

  /** Sets Plugin-Requires; {@code null} leaves it out. */
  public TestPluginBuilder requires(String r) {
    this.requires = r;
    return this;
  }

  /** Adds a class: its fully qualified name and source. */
  public TestPluginBuilder source(String className, String source) {
    sources.put(className, source);
    return this;
  }

  /** Compiles a class but leaves it out of the jar, so code that uses it fails to load. */
  public TestPluginBuilder omit(String className) {
    omit.add(className);
    return this;
  }

  /**
   * A source for an executor of one task type whose result is {@code {"plugin": id, "version": version,
   * "echo": payload}}, so a test can tell versions apart. It honours cancellation when the payload has
   * {@code "waitMs"}.
   */
  public static String executor(String pkg, String cls, String type, String version) {
    return "package " + pkg + ";\n"
        + "import akita.api.task.*; import io.vertx.core.*; import io.vertx.core.json.JsonObject; import java.util.Set;\n"
        + "@org.pf4j.Extension public final class " + cls + " implements TaskExecutor {\n"
        + "  public Set<String> taskTypes() { return Set.of(\"" + type + "\"); }\n"
        + "  public Future<JsonObject> execute(TaskContext c) {\n"
        + "    JsonObject r = new JsonObject().put(\"version\", \"" + version + "\").put(\"echo\", c.payload());\n"
        + "    long wait = c.payload().getLong(\"waitMs\", 0L);\n"
        + "    if (wait == 0) { return Future.succeededFuture(r); }\n"
        + "    Promise<JsonObject> p = Promise.promise();\n"
        + "    long timer = c.vertx().setTimer(wait, t -> p.tryComplete(r));\n"
        + "    c.cancellation().onSuccess(why -> { c.vertx().cancelTimer(timer);\n"
        + "      p.tryFail(new TaskException(TaskException.CANCELLED, why, false)); });\n"
        + "    return p.future();\n"
        + "  }\n"
        + "}\n";
  }

  /**
   * Compiles and packages the plugin.
   *
   * @param dir where to build and where the jar goes
   * @return the jar
   */
  public Path build(Path dir) throws IOException {
    Path work = Files.createTempDirectory(dir, id + "-build");
    Path src = Files.createDirectories(work.resolve("src"));
    Path classes = Files.createDirectories(work.resolve("classes"));
    List<String> files = new ArrayList<>();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
      Files.createDirectories(f.getParent());
      Files.writeString(f, e.getValue());
      files.add(f.toString());
    }
    String cp = String.join(java.io.File.pathSeparator, location(TaskExecutor.class), location(Future.class),
        location(Extension.class), location(org.slf4j.Logger.class));
    List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString(), "-cp", cp,
        "-processorpath", location(Extension.class)));
    args.addAll(files);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, args.toArray(String[]::new));
    if (rc != 0) {
      throw new IllegalStateException("test plugin " + id + " did not compile (see the test output)");
    }
    for (String cls : omit) {
      Files.delete(classes.resolve(cls.replace('.', '/') + ".class"));
    }
    Manifest mf = new Manifest();
    Attributes a = mf.getMainAttributes();
    a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    a.putValue("Plugin-Id", id);
    a.putValue("Plugin-Version", version);
    if (requires != null) {
      a.putValue("Plugin-Requires", requires);
    }
    Path jar = dir.resolve(id + "-" + version + ".jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf);
         Stream<Path> all = Files.walk(classes)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (Files.isRegularFile(p)) {
          out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
          out.write(Files.readAllBytes(p));
          out.closeEntry();
        }
      }
    }
    return jar;
  }

  private static String location(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
