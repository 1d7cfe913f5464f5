package akita.node.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.Http;
import akita.node.testing.NodeProcess;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** platform.jar as users run it: separate processes, real signals, real files. */
class NodeProcessIT {

  private static final Duration START = Duration.ofSeconds(60);
  private static final Duration STOP = Duration.ofSeconds(40);

  @TempDir
  Path dir;

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /**
   * Verifies {@code java -jar platform.jar} with no arguments starts a node on the documented defaults
   * (API on 127.0.0.1:8080, data in ./data, built-in plugins next to the jar), logs where everything is,
   * and exits 0 on SIGTERM after a clean stop.
   */
  @Test
  void noArgumentsStartsWithDefaultsAndSigtermExitsZero() throws Exception {
    Assumptions.assumeTrue(free(8080) && free(5701), "ports 8080 and 5701 must be free for the defaults test");
    try (NodeProcess node = NodeProcess.start(dir, Map.of())) {
      node.awaitHealthy("http://127.0.0.1:8080", START);
      JsonObject status = Http.get("http://127.0.0.1:8080/api/v1/status").json();
      assertEquals("akita", status.getString("cluster"));
      assertTrue(status.getJsonArray("taskTypes").getList().containsAll(NodeTest.BUILT_IN_TYPES),
          "built-in plugins found next to the jar: " + status.getJsonArray("taskTypes"));
      assertTrue(Files.isRegularFile(dir.resolve("data").resolve("akita.db")));
      assertTrue(Files.isRegularFile(dir.resolve("data").resolve("node-id")));
      String log = node.stdout();
      assertTrue(log.contains("API http://127.0.0.1:8080/api/v1, console http://127.0.0.1:8080/, data "), log);
      assertTrue(log.contains("OPEN: no API keys configured"), log);
      assertFalse(log.contains("illegal reflective access") || log.contains("--add-opens"), log);

      assertEquals(0, node.terminate(STOP), node.stdout() + node.stderr());
      assertTrue(node.stdout().contains("node stopped"), node.stdout());
    }
  }

  /** Verifies the node id and run history survive a restart of the process, and JSON logs carry the id. */
  @Test
  void restartKeepsIdentityWithJsonLogs() throws Exception {
    int api = TestNodes.freePort();
    String[] args = {"start", "--api-port", String.valueOf(api), "--hz-port", String.valueOf(TestNodes.freePort()),
        "--cluster-name", TestNodes.uniqueCluster(), "--data-dir", dir.resolve("d").toString()};
    Map<String, String> env = Map.of("AKITA_LOG_FORMAT", "json", "AKITA_VALID_API_KEYS", "process-test-key-123456");
    String base = "http://127.0.0.1:" + api;
    String id;
    try (NodeProcess node = NodeProcess.start(dir, env, args)) {
      node.awaitHealthy(base, START);
      JsonObject s = Http.get(base + "/api/v1/status", "X-API-Key", "process-test-key-123456").json();
      id = s.getString("nodeId");
      assertEquals(1L, s.getLong("run"));
      assertEquals(401, Http.get(base + "/api/v1/status").status());
      assertEquals(0, node.terminate(STOP));
      String ready = node.stdout().lines().filter(l -> l.contains("ready in cluster")).findFirst().orElseThrow();
      JsonObject line = new JsonObject(ready);
      assertEquals("INFO", line.getString("level"));
      assertEquals(id, line.getJsonObject("context").getJsonObject("properties").getString("nodeId"));
      assertTrue(line.getString("formattedMessage").contains("API secured (1 API key(s))"), ready);
    }
    try (NodeProcess node = NodeProcess.start(dir, env, args)) {
      node.awaitHealthy(base, START);
      JsonObject s = Http.get(base + "/api/v1/status", "X-API-Key", "process-test-key-123456").json();
      assertEquals(id, s.getString("nodeId"));
      assertEquals(2L, s.getLong("run"));
      assertEquals(0, node.terminate(STOP));
    }
  }

  /** Verifies invalid configuration exits 2 with one line naming the option, before anything starts. */
  @Test
  void invalidConfigurationExitsTwo() throws Exception {
    NodeProcess p = NodeProcess.run(dir, Map.of("AKITA_HZ_PORT", "not-a-port"), "start");
    assertEquals(2, p.exitCode());
    assertEquals("akita: invalid --hz-port (from environment variable AKITA_HZ_PORT): 'not-a-port' is not a port "
        + "number (1-65535)", p.stderr().trim());
    assertFalse(Files.exists(dir.resolve("data")), "nothing was created");
  }

  /** Verifies the CLI in its own process: status against a node, shutdown, then one clear line for no node. */
  @Test
  void cliAgainstANodeAndNoNode() throws Exception {
    int api = TestNodes.freePort();
    String base = "http://127.0.0.1:" + api;
    try (NodeProcess node = NodeProcess.start(dir, Map.of(), "start", "--api-port", String.valueOf(api),
        "--hz-port", String.valueOf(TestNodes.freePort()), "--cluster-name", TestNodes.uniqueCluster(),
        "--node-name", "proc-node")) {
      node.awaitHealthy(base, START);
      NodeProcess status = NodeProcess.run(dir, Map.of("AKITA_TARGET_NODE_API", base), "status");
      assertEquals(0, status.exitCode(), status.stderr());
      assertTrue(status.stdout().contains("proc-node"), status.stdout());

      NodeProcess shutdown = NodeProcess.run(dir, Map.of(), "shutdown", "--target-node-api", base);
      assertEquals(0, shutdown.exitCode(), shutdown.stderr());
      assertEquals(0, node.awaitExit(STOP), "the node exits 0 after an API shutdown");
    }
    NodeProcess none = NodeProcess.run(dir, Map.of(), "status", "--target-node-api", base);
    assertEquals(1, none.exitCode());
    assertEquals(1, none.stderr().trim().lines().count(), none.stderr());
    assertTrue(none.stderr().startsWith("akita: cannot reach the node API at " + base), none.stderr());
  }
}
