package akita.node.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.Http.Answer;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole nodes in this JVM: start, answer, restart with their identity, refuse a shared data folder. */
class NodeTest {

  /** The task types of the built-in plugins. */
  static final java.util.List<String> BUILT_IN_TYPES = java.util.List.of("echo", "example.greet", "http", "noop",
      "shell");

  @TempDir
  Path dir;

  private String base(Node node) {
    return "http://127.0.0.1:" + node.apiPort();
  }

  /** Verifies a node starts, is healthy, describes itself and loaded the built-in plugins. */
  @Test
  void startsAndDescribesItself() throws Exception {
    Map<ConfigOption, String> flags = TestNodes.flags(dir.resolve("n1"), TestNodes.uniqueCluster());
    flags.put(ConfigOption.NODE_NAME, "alpha");
    flags.put(ConfigOption.CAPABILITIES, "gpu,docker");
    Node node = TestNodes.start(flags, Map.of());
    try {
      Answer health = Http.get(base(node) + "/health");
      assertEquals(200, health.status(), health.body());
      JsonObject checks = health.json().getJsonObject("checks");
      assertTrue(checks.getJsonObject("cluster").getBoolean("ok"));
      assertEquals(1, checks.getJsonObject("cluster").getInteger("members"));
      assertTrue(checks.getJsonObject("database").getBoolean("ok"));

      JsonObject status = Http.get(base(node) + "/api/v1/status").json();
      assertEquals("alpha", status.getString("name"));
      assertEquals(node.context().id(), status.getString("nodeId"));
      assertEquals("[\"gpu\",\"docker\"]", status.getJsonArray("capabilities").encode());
      assertTrue(status.getJsonArray("taskTypes").getList().containsAll(BUILT_IN_TYPES),
          "the built-in plugins are loaded: " + status.getJsonArray("taskTypes"));
      assertEquals(1L, status.getLong("run"));
      assertTrue(Files.isRegularFile(dir.resolve("n1").resolve("akita.db")));
    } finally {
      TestNodes.stop(node);
    }
  }

  /** Verifies a restart keeps the node id and the database, and records both runs, the first as clean. */
  @Test
  void restartKeepsIdentityAndData() throws Exception {
    Path data = dir.resolve("n");
    String cluster = TestNodes.uniqueCluster();
    Node first = TestNodes.start(TestNodes.flags(data, cluster), Map.of());
    String id = first.context().id();
    TestNodes.stop(first);

    Node second = TestNodes.start(TestNodes.flags(data, cluster), Map.of());
    try {
      assertEquals(id, second.context().id());
      assertEquals(2L, second.context().run());
      assertEquals("node-" + id.substring(0, 8), second.context().name());
    } finally {
      TestNodes.stop(second);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("akita.db"));
         ResultSet rs = c.createStatement().executeQuery(
             "SELECT run, node_id, stopped_at IS NOT NULL AS stopped, stop_reason FROM node_runs ORDER BY run")) {
      for (int run = 1; run <= 2; run++) {
        assertTrue(rs.next(), "run " + run + " recorded");
        assertEquals(id, rs.getString("node_id"));
        assertTrue(rs.getBoolean("stopped"), "run " + run + " stopped cleanly");
        assertEquals("test finished", rs.getString("stop_reason"));
      }
    }
  }

  /**
   * Verifies Vert.x's file cache lives in the data folder: what a killed node left there is cleared at start,
   * the console is served through it, and a clean stop removes it.
   */
  @Test
  void fileCacheStaysInTheDataFolder() throws Exception {
    Path data = dir.resolve("n");
    Path stale = data.resolve(Node.FILE_CACHE).resolve("webroot").resolve("left-by-a-killed-node.txt");
    Files.createDirectories(stale.getParent());
    Files.writeString(stale, "stale");
    Node node = TestNodes.start(TestNodes.flags(data, TestNodes.uniqueCluster()), Map.of());
    try {
      assertTrue(Files.isDirectory(data.resolve(Node.FILE_CACHE)), "the cache is in the data folder");
      assertTrue(Files.notExists(stale), "what a killed node left is cleared");
      assertEquals(200, Http.get(base(node) + "/").status());
    } finally {
      TestNodes.stop(node);
    }
    assertTrue(Files.notExists(data.resolve(Node.FILE_CACHE)), "a clean stop removes the cache");
  }

  /** Verifies a second node cannot use a data folder a running node holds, and the first is unharmed. */
  @Test
  void dataFolderIsExclusive() throws Exception {
    Path data = dir.resolve("shared");
    Node first = TestNodes.start(TestNodes.flags(data, TestNodes.uniqueCluster()), Map.of());
    try {
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> TestNodes.start(TestNodes.flags(data, TestNodes.uniqueCluster()), Map.of()));
      assertTrue(e.getCause().getMessage().contains("is in use by another running node"), e.getCause().getMessage());
      assertEquals(200, Http.get(base(first) + "/health").status());
    } finally {
      TestNodes.stop(first);
    }
  }

  /** Verifies POST /api/v1/shutdown stops the node and releases its data folder. */
  @Test
  void shutdownThroughTheApi() throws Exception {
    Path data = dir.resolve("s");
    Node node = TestNodes.start(TestNodes.flags(data, TestNodes.uniqueCluster()), Map.of());
    Answer a = Http.post(base(node) + "/api/v1/shutdown", "{\"reason\": \"maintenance\"}",
        "Content-Type", "application/json");
    assertEquals(202, a.status());
    node.stopped().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Node again = TestNodes.start(TestNodes.flags(data, TestNodes.uniqueCluster()), Map.of());
    TestNodes.stop(again);
  }

  /** Verifies two nodes given each other's address form one Hazelcast cluster. */
  @Test
  void twoNodesFormOneCluster() throws Exception {
    String cluster = TestNodes.uniqueCluster();
    Map<ConfigOption, String> f1 = TestNodes.flags(dir.resolve("a"), cluster);
    Node a = TestNodes.start(f1, Map.of());
    Node b = null;
    try {
      Map<ConfigOption, String> f2 = TestNodes.flags(dir.resolve("b"), cluster);
      f2.put(ConfigOption.MEMBERS, "127.0.0.1:" + f1.get(ConfigOption.HZ_PORT));
      b = TestNodes.start(f2, Map.of());
      assertEquals(2, a.hazelcast().getCluster().getMembers().size());
      assertEquals(2, b.hazelcast().getCluster().getMembers().size());
      assertNotEquals(a.context().id(), b.context().id());
    } finally {
      TestNodes.stop(b);
      TestNodes.stop(a);
    }
  }
}
