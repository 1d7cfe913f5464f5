package akita.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI against a running node, against no node, and with bad input. */
@TestMethodOrder(MethodOrderer.MethodName.class)
class CliTest {

  private static final String KEY = "cli-test-key-0123456789";

  @TempDir
  static Path dir;

  private static Node node;
  private static String target;

  /** What a command printed and returned. */
  record Run(int code, String out, String err) {
  }

  @BeforeAll
  static void startNode() throws Exception {
    Map<ConfigOption, String> flags = TestNodes.flags(dir.resolve("node"), TestNodes.uniqueCluster());
    flags.put(ConfigOption.NODE_NAME, "cli-node");
    node = TestNodes.start(flags, Map.of("AKITA_VALID_API_KEYS", KEY));
    target = "http://127.0.0.1:" + node.apiPort();
  }

  @AfterAll
  static void stopNode() throws Exception {
    TestNodes.stop(node);
  }

  static Run run(String... args) {
    CommandLine cli = AkitaCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** Verifies {@code status} prints a table, and {@code --json} the node's JSON. */
  @Test
  void status() {
    Run table = run("status", "--target-node-api", target, "--api-key", KEY);
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().contains("cli-node"), table.out());
    assertTrue(table.out().contains("echo,") && table.out().contains("noop"), table.out());

    Run json = run("status", "--target-node-api", target, "--api-key", KEY, "--json");
    assertEquals(0, json.code(), json.err());
    assertEquals("cli-node", new JsonObject(json.out().trim()).getString("name"));
  }

  /**
   * Verifies {@code cluster resources} shows a row of figures per node once the node has sampled, and
   * {@code cluster resources NODE} that node's mounts and interfaces; an unknown node is a 404.
   */
  @Test
  void clusterResources() throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    Run all = run("cluster", "resources", "--target-node-api", target, "--api-key", KEY);
    while (all.out().lines().noneMatch(l -> l.startsWith("cli-node") && l.contains("%"))
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
      all = run("cluster", "resources", "--target-node-api", target, "--api-key", KEY);
    }
    assertEquals(0, all.code(), all.err());
    assertTrue(all.out().startsWith("NAME") && all.out().contains("MEMORY"), all.out());
    assertTrue(all.out().lines().anyMatch(l -> l.startsWith("cli-node") && l.contains("iB/")), all.out());

    Run one = run("cluster", "resources", "cli-node", "--target-node-api", target, "--api-key", KEY);
    assertEquals(0, one.code(), one.err());
    assertTrue(one.out().contains("cores") && one.out().contains("MOUNT") && one.out().contains("INTERFACE"),
        one.out());
    assertTrue(one.out().lines().anyMatch(l -> l.startsWith("lo ")), one.out());
    Run json = run("cluster", "resources", "cli-node", "--json", "--target-node-api", target, "--api-key", KEY);
    assertEquals(node.context().id(), new JsonObject(json.out().trim()).getString("nodeId"));

    Run unknown = run("cluster", "resources", "no-such-node", "--target-node-api", target, "--api-key", KEY);
    assertEquals(1, unknown.code());
    assertTrue(unknown.err().contains("404 NODE_NOT_FOUND"), unknown.err());
  }

  /** Verifies {@code cluster status} shows the leader and a row per node, and drain/undrain round-trip. */
  @Test
  void clusterStatusAndDrain() throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    Run status = run("cluster", "status", "--target-node-api", target, "--api-key", KEY);
    while (!status.out().contains("leader cli-node") && System.nanoTime() < deadline) {
      Thread.sleep(50);
      status = run("cluster", "status", "--target-node-api", target, "--api-key", KEY);
    }
    assertEquals(0, status.code(), status.err());
    assertTrue(status.out().contains("leader cli-node, term "), status.out());
    assertTrue(status.out().contains("quorum ok (1 of 1 expected present, 1 needed)"), status.out());
    assertTrue(status.out().lines().anyMatch(l -> l.startsWith("cli-node *") && l.contains("HEALTHY")), status.out());

    Run drain = run("cluster", "drain", "cli-node", "--target-node-api", target, "--api-key", KEY);
    assertEquals(0, drain.code(), drain.err());
    assertTrue(drain.out().contains("is draining"), drain.out());
    Run undrain = run("cluster", "undrain", "cli-node", "--target-node-api", target, "--api-key", KEY);
    assertEquals(0, undrain.code(), undrain.err());
    assertTrue(undrain.out().contains("takes new tasks again"), undrain.out());

    Run unknown = run("cluster", "drain", "no-such-node", "--target-node-api", target, "--api-key", KEY);
    assertEquals(1, unknown.code());
    assertTrue(unknown.err().contains("404 NODE_NOT_FOUND"), unknown.err());
  }

  /** Verifies {@code plugin deploy}, {@code plugin list} and {@code plugin remove} against the node. */
  @Test
  void pluginCommands() throws Exception {
    Path jar = akita.node.testing.TestPluginBuilder.plugin("greeter")
        .source("t.greet.Greeter", akita.node.testing.TestPluginBuilder.executor("t.greet", "Greeter", "greet", "1"))
        .build(java.nio.file.Files.createDirectories(dir.resolve("cli-plugin")));
    Run deploy = run("plugin", "deploy", jar.toString(), "--target-node-api", target, "--api-key", KEY);
    assertEquals(0, deploy.code(), deploy.err());
    assertTrue(deploy.out().startsWith("deployed plugin greeter 1.0.0 (sha256 "), deploy.out());

    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    Run list = run("plugin", "list", "--target-node-api", target, "--api-key", KEY);
    while (!list.out().lines().anyMatch(l -> l.startsWith("greeter") && l.contains("cli-node"))
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
      list = run("plugin", "list", "--target-node-api", target, "--api-key", KEY);
    }
    assertTrue(list.out().lines().anyMatch(l -> l.startsWith("greeter") && l.contains("STARTED")
        && l.contains("CLUSTER") && l.contains("greet") && l.contains("cli-node")), list.out());
    assertTrue(list.out().lines().anyMatch(l -> l.startsWith("noop") && l.contains("LOCAL")), list.out());

    Run remove = run("plugin", "remove", "greeter", "--target-node-api", target, "--api-key", KEY);
    assertEquals(0, remove.code(), remove.err());
    assertTrue(remove.out().contains("removed plugin greeter 1.0.0"), remove.out());

    Run missing = run("plugin", "deploy", dir.resolve("nope.jar").toString(), "--target-node-api", target);
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("cannot read"), missing.err());
  }

  /** Verifies {@code ledger view} shows the node's election and {@code ledger verify} the intact chain. */
  @Test
  void ledgerCommands() throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    Run view = run("ledger", "view", "--event-type", "LEADER_ELECTED", "--target-node-api", target, "--api-key", KEY);
    while (!view.out().contains("LEADER_ELECTED") && System.nanoTime() < deadline) {
      Thread.sleep(100);
      view = run("ledger", "view", "--event-type", "LEADER_ELECTED", "--target-node-api", target, "--api-key", KEY);
    }
    assertEquals(0, view.code(), view.err());
    assertTrue(view.out().contains("LEADER_ELECTED"), view.out());
    Run verify = run("ledger", "verify", "--target-node-api", target, "--api-key", KEY);
    assertEquals(0, verify.code(), verify.err());
    assertTrue(verify.out().startsWith("ledger verified: "), verify.out());
    Run bad = run("ledger", "view", "--event-type", "lower", "--target-node-api", target, "--api-key", KEY);
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("INVALID_PARAMETER"), bad.err());

    // Export: JSON lines, oldest first, the whole chain; to a file and to stdout alike.
    java.nio.file.Path file = dir.resolve("ledger.jsonl");
    Run export = run("ledger", "export", "--out", file.toString(), "--target-node-api", target, "--api-key", KEY);
    assertEquals(0, export.code(), export.err());
    List<String> lines = java.nio.file.Files.readAllLines(file);
    assertTrue(lines.size() >= 1, export.out());
    long prev = 0;
    for (String line : lines) {
      long seq = new JsonObject(line).getLong("seq");
      assertTrue(seq > prev, line);
      prev = seq;
    }
    assertTrue(export.out().contains("exported " + lines.size() + " entries"), export.out());
    Run tail = run("ledger", "export", "--after", String.valueOf(prev - 1), "--target-node-api", target,
        "--api-key", KEY);
    assertEquals(0, tail.code(), tail.err());
    assertEquals(lines.get(lines.size() - 1), tail.out().strip().split("\n")[0]);
    // REST: the same lines as application/x-ndjson.
    Http.Answer rest = Http.get(target + "/api/v1/ledger/export?after=0", "X-API-Key", KEY);
    assertEquals(200, rest.status());
    assertTrue(rest.body().startsWith(lines.get(0)), rest.body());
  }

  /** Verifies {@code logs} reads the node's log buffer. */
  @Test
  void logs() {
    Run r = run("logs", "--target-node-api", target, "--api-key", KEY, "--limit", "500");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("ready in cluster"), r.out());
  }

  /** Verifies a refused request exits 1 with the node's code and message in one line. */
  @Test
  void wrongKey() {
    Run r = run("status", "--target-node-api", target, "--api-key", "wrong-key-wrong-key");
    assertEquals(1, r.code());
    assertEquals("akita: the node refused (401 API_KEY_INVALID): the API key in the X-API-Key header is not valid",
        r.err().trim());
  }

  /** Verifies no node at the target gives one clear line and exit 1, not a stack trace. */
  @Test
  void noNode() {
    Run r = run("status", "--target-node-api", "http://127.0.0.1:" + TestNodes.freePort());
    assertEquals(1, r.code());
    assertEquals(1, r.err().trim().lines().count(), r.err());
    assertTrue(r.err().contains("cannot reach the node API at http://127.0.0.1:"), r.err());
    assertFalse(r.err().contains("Exception"), r.err());
  }

  /** Verifies a malformed target is a usage error. */
  @Test
  void badTarget() {
    Run r = run("status", "--target-node-api", "ftp://x");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--target-node-api must be an http(s) URL"), r.err());
  }

  /** Verifies {@code start} with invalid configuration exits 2 naming the option, before starting anything. */
  @Test
  void invalidStartConfig() {
    Run r = run("start", "--api-port", "eighty", "--data-dir", dir.resolve("never").toString());
    assertEquals(2, r.code());
    assertEquals("akita: invalid --api-port (from --api-port): 'eighty' is not a port number (0-65535)",
        r.err().trim());
    assertFalse(dir.resolve("never").toFile().exists(), "nothing was created");
  }

  /** Verifies every command has --help and an unknown option is a usage error. */
  @Test
  void help() {
    for (String command : new String[] {"start", "status", "shutdown", "logs", "cluster", "cluster status",
        "cluster drain", "cluster undrain", "plugin", "plugin list", "plugin deploy", "plugin remove", "ledger", "ledger view", "ledger verify",
        "ledger export"}) {
      List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
      args.add("--help");
      Run r = run(args.toArray(String[]::new));
      assertEquals(0, r.code(), command);
      assertTrue(r.out().contains("Usage:"), command + ": " + r.out());
    }
    assertTrue(run("start", "--help").out().contains("AKITA_NODE_NAME"));
    assertEquals(0, run("--help").code());
    assertEquals(2, run("status", "--no-such-option").code());
  }

  /** Verifies {@code shutdown} stops the node (runs last among these: it is final for the shared node). */
  @Test
  void zzShutdown() throws Exception {
    Run r = run("shutdown", "--target-node-api", target, "--api-key", KEY, "--reason", "cli test");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("is shutting down"), r.out());
    node.stopped().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
  }
}
