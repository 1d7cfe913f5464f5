package akita.node.plugin.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import akita.api.task.TaskException;
import akita.node.plugin.LoadedPlugin;
import akita.node.plugin.PluginService;
import akita.node.testing.Plugins;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The built shell plugin, loaded by a real plugin service, running real processes. */
class ShellPluginTest extends akita.node.testing.PluginServiceTestBase {

  private static final Set<String> DEFAULT_ALLOWLIST = Set.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR",
      "USER");


  /** Verifies a command given as argv runs and its exit code and output come back. */
  @Test
  void runsArgvCommand() throws Exception {
    start();
    JsonObject r = run(new JsonObject().put("command", new JsonArray().add("echo").add("hello  world").add("$HOME")));
    assertEquals(0, r.getInteger("exitCode"));
    assertEquals("hello  world $HOME\n", r.getString("stdout"), "arguments reach the program as given, unexpanded");
    assertEquals("", r.getString("stderr"));
    assertFalse(r.getBoolean("stdoutTruncated"));
    assertFalse(r.getBoolean("stderrTruncated"));
    assertTrue(r.getLong("durationMs") >= 0, r.encode());
  }

  /** Verifies stdin is piped to the process and closed; without stdin the process sees end of input at once. */
  @Test
  void pipesStdin() throws Exception {
    start();
    String text = "line one\nzweite Zeile: ü\n";
    JsonObject r = run(new JsonObject().put("command", new JsonArray().add("cat")).put("stdin", text));
    assertEquals(text, r.getString("stdout"));
    assertEquals("", run(new JsonObject().put("command", new JsonArray().add("cat"))).getString("stdout"));
  }

  /** Verifies the working directory: the one given, else the attempt's scratch folder. */
  @Test
  void honoursWorkingDir() throws Exception {
    start();
    Path work = Files.createDirectories(dir.resolve("work"));
    JsonObject r = run(new JsonObject().put("command", new JsonArray().add("pwd")).put("workingDir",
        work.toString()));
    assertEquals(work.toRealPath().toString(), r.getString("stdout").strip());
    String scratch = run(new JsonObject().put("command", new JsonArray().add("pwd"))).getString("stdout").strip();
    assertTrue(scratch.startsWith(dir.resolve("data").resolve("scratch").toRealPath().toString()), scratch);
  }

  /** Verifies the child's environment holds only the allowlisted node variables and the payload's env. */
  @Test
  void environmentIsAllowlisted() throws Exception {
    start();
    Map<String, String> env = env(run(new JsonObject().put("command", new JsonArray().add("/usr/bin/env"))
        .put("env", new JsonObject().put("AKITA_SHELL_TEST", "from the payload").put("HOME", "/overridden"))));
    assertEquals("from the payload", env.get("AKITA_SHELL_TEST"));
    assertEquals("/overridden", env.get("HOME"), "the payload's env goes on top of the allowlist");
    if (System.getenv("PATH") != null) {
      assertEquals(System.getenv("PATH"), env.get("PATH"));
    }
    for (String name : env.keySet()) {
      assertTrue(DEFAULT_ALLOWLIST.contains(name) || name.equals("AKITA_SHELL_TEST"), name + " leaked: " + env);
    }
    String unlisted = System.getenv().keySet().stream().filter(n -> !DEFAULT_ALLOWLIST.contains(n)).findFirst()
        .orElse(null);
    assumeTrue(unlisted != null, "the test JVM has no variable outside the allowlist");
    assertNull(env.get(unlisted), unlisted + " is not on the allowlist");

    assumeTrue(System.getenv("HOME") != null, "HOME is not set for the test JVM");
    Map<String, String> plain = env(run(new JsonObject().put("command", new JsonArray().add("/usr/bin/env"))));
    assertEquals(System.getenv("HOME"), plain.get("HOME"));
  }

  /** Verifies the plugin config's envAllowlist replaces the default allowlist. */
  @Test
  void envAllowlistComesFromPluginConfig() throws Exception {
    writeConfig(new JsonObject().put("envAllowlist", new JsonArray().add("AKITA_NOT_SET_ANYWHERE")));
    start();
    Map<String, String> env = env(run(new JsonObject().put("command", new JsonArray().add("/usr/bin/env"))
        .put("env", new JsonObject().put("ONLY", "this"))));
    assertEquals(Map.of("ONLY", "this"), env);
  }

  /** Verifies a malformed envAllowlist refuses the plugin with a message naming the key. */
  @Test
  void badEnvAllowlistRefusesThePlugin() throws Exception {
    writeConfig(new JsonObject().put("envAllowlist", "PATH"));
    start();
    LoadedPlugin p = service.plugins().get(0);
    assertEquals("FAILED", p.state());
    assertTrue(p.error().contains("envAllowlist"), p.error());
    assertEquals(List.of(), service.taskTypes());
  }

  /** Verifies a non-zero exit fails the attempt with EXECUTION_FAILED, the code and stderr's tail. */
  @Test
  void nonZeroExitFails() throws Exception {
    start();
    TaskException e = failure(new JsonObject().put("command", new JsonArray().add("sh").add("-c")
        .add("echo working; echo 'boom: disk full' >&2; exit 3")));
    assertEquals(TaskException.EXECUTION_FAILED, e.code());
    assertTrue(e.retryable());
    assertTrue(e.getMessage().contains("code 3"), e.getMessage());
    assertTrue(e.getMessage().contains("boom: disk full"), e.getMessage());
  }

  /** Verifies failOnNonZeroExit false returns the result with the exit code. */
  @Test
  void nonZeroExitIsReturnedWhenAsked() throws Exception {
    start();
    JsonObject r = run(new JsonObject().put("command", new JsonArray().add("sh").add("-c").add("echo out; "
        + "echo err >&2; exit 7")).put("failOnNonZeroExit", false));
    assertEquals(7, r.getInteger("exitCode"));
    assertEquals("out\n", r.getString("stdout"));
    assertEquals("err\n", r.getString("stderr"));
  }

  /** Verifies output beyond maxOutputBytes is drained and discarded, and flagged, while the process finishes. */
  @Test
  void capsOutput() throws Exception {
    start();
    JsonObject r = run(new JsonObject().put("command", new JsonArray().add("head").add("-c").add("3000000")
        .add("/dev/zero")).put("maxOutputBytes", 1000));
    assertEquals(0, r.getInteger("exitCode"));
    assertEquals(1000, r.getString("stdout").length());
    assertTrue(r.getBoolean("stdoutTruncated"));
    assertFalse(r.getBoolean("stderrTruncated"));
  }

  /** Verifies large stdin and large output on both streams at once do not deadlock on full pipes. */
  @Test
  void largeStreamsDoNotDeadlock() throws Exception {
    start();
    String input = "x".repeat(4 << 20);
    JsonObject r = run(new JsonObject().put("command", new JsonArray().add("sh").add("-c")
        .add("cat; head -c 2000000 /dev/zero >&2; head -c 2000000 /dev/zero")).put("stdin", input)
        .put("maxOutputBytes", 8 << 20));
    assertEquals(0, r.getInteger("exitCode"));
    assertEquals(input.length() + 2_000_000, r.getString("stdout").length());
    assertEquals(2_000_000, r.getString("stderr").length());
    assertFalse(r.getBoolean("stdoutTruncated"));
  }

  /** Verifies a background process that keeps stdout open does not hold the attempt once the command exits. */
  @Test
  void backgroundProcessDoesNotHoldTheResult() throws Exception {
    start();
    long begun = System.nanoTime();
    JsonObject r = run(new JsonObject().put("script", "sleep 4 & echo started").put("shell", true));
    assertEquals("started\n", r.getString("stdout"));
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun) < 3_500, r.encode());
  }

  /** Verifies a script runs only with shell: true, and then through /bin/sh. */
  @Test
  void scriptNeedsShellTrue() throws Exception {
    start();
    JsonObject payload = new JsonObject().put("script", "echo $((1 + 2)) | cat");
    TaskException e = failure(payload);
    assertEquals(TaskException.INVALID_PAYLOAD, e.code());
    assertFalse(e.retryable());
    assertTrue(e.getMessage().contains("shell: true"), e.getMessage());
    assertEquals("3\n", run(payload.copy().put("shell", true)).getString("stdout"));
  }

  /** Verifies each malformed payload is refused with INVALID_PAYLOAD and a message naming the field. */
  @Test
  void invalidPayloadsNameTheField() throws Exception {
    start();
    JsonArray echo = new JsonArray().add("echo");
    Map<JsonObject, String> cases = new HashMap<>();
    cases.put(new JsonObject(), "command is required");
    cases.put(new JsonObject().put("command", "echo hi"), "command must be an array of strings");
    cases.put(new JsonObject().put("command", new JsonArray()), "command must not be empty");
    cases.put(new JsonObject().put("command", new JsonArray().add("echo").add(1)), "command[1] must be a string");
    cases.put(new JsonObject().put("command", echo).put("script", "echo"), "either command or script");
    cases.put(new JsonObject().put("command", echo).put("env", new JsonObject().put("X", 1)), "env.X must be a string");
    cases.put(new JsonObject().put("command", echo).put("env", "X=1"), "env must be an object");
    cases.put(new JsonObject().put("command", echo).put("stdin", 5), "stdin must be a string");
    cases.put(new JsonObject().put("command", echo).put("timeoutMs", "500"), "timeoutMs must be");
    cases.put(new JsonObject().put("command", echo).put("timeoutMs", 0), "timeoutMs must be");
    cases.put(new JsonObject().put("command", echo).put("maxOutputBytes", 17 << 20), "maxOutputBytes must be");
    cases.put(new JsonObject().put("command", echo).put("failOnNonZeroExit", "no"), "failOnNonZeroExit must be");
    cases.put(new JsonObject().put("command", echo).put("workingDir", "relative"), "workingDir must be an absolute");
    cases.put(new JsonObject().put("command", echo).put("workingDir", dir.resolve("missing").toString()),
        "does not exist or is not a directory");
    cases.put(new JsonObject().put("command", echo).put("timeout", 5), "unknown field 'timeout'");
    for (Map.Entry<JsonObject, String> c : cases.entrySet()) {
      TaskException e = failure(c.getKey());
      assertEquals(TaskException.INVALID_PAYLOAD, e.code(), c.getKey().encode());
      assertTrue(e.getMessage().contains(c.getValue()), c.getKey().encode() + " -> " + e.getMessage());
    }
  }

  /** Verifies a program that does not exist fails the attempt without retries. */
  @Test
  void missingProgramFails() throws Exception {
    start();
    TaskException e = failure(new JsonObject().put("command", new JsonArray().add("akita-no-such-program")));
    assertEquals(TaskException.EXECUTION_FAILED, e.code());
    assertFalse(e.retryable());
    assertTrue(e.getMessage().contains("akita-no-such-program"), e.getMessage());
  }

  /** Verifies a timeout kills the whole process tree, the background child included, and fails with TIMEOUT. */
  @Test
  void timeoutKillsTheProcessTree() throws Exception {
    start();
    Path work = Files.createDirectories(dir.resolve("work"));
    long begun = System.nanoTime();
    TaskException e = failure(new JsonObject().put("script", "sleep 30 & echo $! > child.pid; wait")
        .put("shell", true).put("workingDir", work.toString()).put("timeoutMs", 500));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun);
    assertEquals(TaskException.TIMEOUT, e.code());
    assertTrue(e.retryable());
    assertTrue(e.getMessage().contains("500 ms"), e.getMessage());
    assertTrue(tookMs < 4_000, "took " + tookMs + " ms");
    assertEnds(Long.parseLong(Files.readString(work.resolve("child.pid")).strip()));
  }

  /** Verifies the attempt's deadline is the timeout when the payload gives none. */
  @Test
  void deadlineIsTheDefaultTimeout() throws Exception {
    start();
    TaskException e = failure(service.run(Plugins.spec("shell", new JsonObject().put("command",
        new JsonArray().add("sleep").add("30")), Duration.ofMillis(400)), p -> { }).result());
    assertEquals(TaskException.TIMEOUT, e.code());
    assertTrue(e.getMessage().contains("deadline"), e.getMessage());
  }

  /** Verifies cancelling the attempt kills the process and fails with CANCELLED; progress names the pid. */
  @Test
  void cancellationKillsTheProcess() throws Exception {
    start();
    CompletableFuture<Long> pid = new CompletableFuture<>();
    PluginService.Running running = service.run(Plugins.spec("shell", new JsonObject().put("command",
        new JsonArray().add("sleep").add("30")), Duration.ofSeconds(30)), p -> {
          if (p.message() != null && p.message().startsWith("running pid ")) {
            pid.complete(Long.parseLong(p.message().substring("running pid ".length())));
          }
        });
    long child = pid.get(5, TimeUnit.SECONDS);
    assertTrue(running(child), "sleep should be running");
    running.context().cancel("test");
    TaskException e = failure(running.result());
    assertEquals(TaskException.CANCELLED, e.code());
    assertFalse(e.retryable());
    assertTrue(e.getMessage().contains("test"), e.getMessage());
    assertEnds(child);
  }

  /** Verifies unloading the plugin cancels a running command and kills it. */
  @Test
  void stoppingThePluginKillsRunningCommands() throws Exception {
    start();
    CompletableFuture<Long> pid = new CompletableFuture<>();
    PluginService.Running running = service.run(Plugins.spec("shell", new JsonObject().put("command",
        new JsonArray().add("sleep").add("30")), Duration.ofSeconds(30)), p -> pid.complete(
            Long.parseLong(p.message().substring("running pid ".length()))));
    long child = pid.get(5, TimeUnit.SECONDS);
    service.stop(100).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    service = null;
    assertEquals(TaskException.CANCELLED, failure(running.result()).code());
    assertEnds(child);
  }

  // ---- helpers ----------------------------------------------------------------------------------------

  private void start() throws Exception {
    service = Plugins.start(vertx, dir, Set.of(), Plugins.builtJar("shell"));
  }

  private void writeConfig(JsonObject config) throws IOException {
    Path pluginData = Files.createDirectories(dir.resolve("data").resolve("plugins-data").resolve("shell"));
    Files.writeString(pluginData.resolve("config.json"), config.encode());
  }

  private JsonObject run(JsonObject payload) throws Exception {
    return Plugins.run(service, "shell", payload);
  }

  private TaskException failure(JsonObject payload) throws Exception {
    return failure(service.run(Plugins.spec("shell", payload, Duration.ofSeconds(30)), p -> { }).result());
  }

  private static TaskException failure(io.vertx.core.Future<JsonObject> result) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> result.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
    return assertInstanceOf(TaskException.class, e.getCause());
  }

  private static Map<String, String> env(JsonObject result) {
    Map<String, String> env = new HashMap<>();
    result.getString("stdout").lines().forEach(l -> env.put(l.substring(0, l.indexOf('=')),
        l.substring(l.indexOf('=') + 1)));
    return env;
  }

  /** Waits, boundedly, until the process no longer runs. */
  private static void assertEnds(long pid) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    while (running(pid)) {
      assertTrue(System.nanoTime() < deadline, "process " + pid + " is still running");
      Thread.sleep(25);
    }
  }

  /**
   * Whether a process runs. {@link ProcessHandle#isAlive()} also reports zombies: a killed grandchild stays one
   * until init reaps it, which in a container may be late or never, though the process is gone.
   */
  private static boolean running(long pid) {
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }
}
