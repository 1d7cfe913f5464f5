package akita.node.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.cluster.ClusterAddresses;
import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.TestNodes;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two real nodes in this JVM: resources in the announcements, the cluster view and GET /nodes/{id}/resources. */
class ResourcesClusterTest {

  @TempDir
  Path dir;

  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      TestNodes.stop(nodes.get(i));
    }
  }

  private void startTwo() throws Exception {
    String cluster = TestNodes.uniqueCluster();
    List<Map<ConfigOption, String>> flags = new ArrayList<>();
    StringBuilder members = new StringBuilder();
    for (int i = 0; i < 2; i++) {
      Map<ConfigOption, String> f = TestNodes.flags(dir.resolve("n" + i), cluster);
      f.put(ConfigOption.NODE_NAME, "n" + i);
      f.put(ConfigOption.EXPECTED_MEMBERS, "2");
      f.put(ConfigOption.HEARTBEAT_INTERVAL_MS, "200");
      f.put(ConfigOption.RESOURCES_INTERVAL_MS, "200");
      f.put(ConfigOption.RESOURCES_HISTORY, "5");
      flags.add(f);
      members.append(members.length() == 0 ? "" : ",").append("127.0.0.1:").append(f.get(ConfigOption.HZ_PORT));
    }
    for (Map<ConfigOption, String> f : flags) {
      f.put(ConfigOption.MEMBERS, members.toString());
      nodes.add(TestNodes.start(f, Map.of()));
    }
  }

  private String api(int i) {
    return "http://127.0.0.1:" + nodes.get(i).apiPort() + "/api/v1";
  }

  /** Polls a URL until its JSON matches, for at most 20 s. */
  private static JsonObject await(String url, Predicate<JsonObject> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonObject o = Http.get(url).json();
    while (!p.test(o)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(url + " never matched: " + o.encodePrettily());
      }
      Thread.sleep(50);
      o = Http.get(url).json();
    }
    return o;
  }

  private static long memTotal() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    }
    return -1;
  }

  private static boolean sampled(JsonObject node) {
    JsonObject r = node.getJsonObject("resources");
    return r != null && r.getJsonObject("memory") != null;
  }

  /**
   * Verifies each node announces a compact summary of its latest sample: GET /cluster on one node shows both
   * nodes' resources, and the announcement on the bus has totals but not the per-core, per-mount and
   * per-interface lists.
   */
  @Test
  void announcementsCarryAResourceSummary() throws Exception {
    startTwo();
    JsonObject c = await(api(0) + "/cluster", o -> o.getJsonArray("nodes").size() == 2
        && o.getJsonArray("nodes").stream().allMatch(n -> sampled((JsonObject) n)));
    long total = memTotal();
    for (Object o : c.getJsonArray("nodes")) {
      JsonObject r = ((JsonObject) o).getJsonObject("resources");
      if (total > 0) {
        assertEquals(total, r.getJsonObject("memory").getLong("totalBytes"), "same machine, same memory");
      }
      assertTrue(r.getJsonObject("cpu").getInteger("cores") > 0, r.encode());
      assertTrue(r.getJsonObject("disk").getLong("totalBytes") > 0, r.encode());
      assertNotNull(r.getLong("openFileDescriptors"));
    }

    String otherId = nodes.get(1).context().id();
    CompletableFuture<JsonObject> heard = new CompletableFuture<>();
    MessageConsumer<JsonObject> listener = nodes.get(0).vertx().eventBus().consumer(ClusterAddresses.ANNOUNCE, m -> {
      if (otherId.equals(m.body().getString("id")) && sampled(m.body())) {
        heard.complete(m.body());
      }
    });
    try {
      JsonObject announced = heard.get(10, TimeUnit.SECONDS).getJsonObject("resources");
      assertNotNull(announced.getJsonObject("cpu").getDouble("total"));
      assertNull(announced.getJsonObject("cpu").getValue("perCore"), "per-core figures stay out of announcements");
      assertNull(announced.getValue("disks"));
      assertTrue(announced.getValue("network") instanceof JsonObject, "network totals, not the interface list");
      assertTrue(announced.encode().length() < 1_024, "summary of " + announced.encode().length() + " bytes");
    } finally {
      listener.unregister();
    }
  }

  /**
   * Verifies GET /nodes/{id}/resources answers for this node and, through the event bus, for the other one,
   * by id or name, with a bounded history oldest first; an unknown node is 404 NODE_NOT_FOUND and a bad limit
   * 400.
   */
  @Test
  void restServesAnyNodesHistory() throws Exception {
    startTwo();
    String otherId = nodes.get(1).context().id();
    JsonObject remote = await(api(0) + "/nodes/" + otherId + "/resources",
        o -> o.getJsonArray("history") != null && o.getJsonArray("history").size() == 5);
    assertEquals(otherId, remote.getString("nodeId"));
    assertEquals(5, remote.getInteger("historySize"));
    JsonArray history = remote.getJsonArray("history");
    for (int i = 1; i < history.size(); i++) {
      assertTrue(history.getJsonObject(i - 1).getLong("time") < history.getJsonObject(i).getLong("time"));
    }
    JsonObject latest = remote.getJsonObject("latest");
    assertFalse(latest.getJsonArray("disks").isEmpty());
    assertFalse(latest.getJsonArray("network").isEmpty());
    assertFalse(latest.getJsonObject("cpu").getJsonArray("perCore").isEmpty());

    JsonObject local = Http.get(api(0) + "/nodes/n0/resources?limit=2").json();
    assertEquals(nodes.get(0).context().id(), local.getString("nodeId"));
    assertTrue(local.getJsonArray("history").size() <= 2);
    assertNotNull(local.getJsonObject("latest"));
    assertEquals(1, Http.get(api(1) + "/nodes/n1/resources?limit=1").json().getJsonArray("history").size());

    Http.Answer missing = Http.get(api(0) + "/nodes/nobody/resources");
    assertEquals(404, missing.status());
    assertEquals("NODE_NOT_FOUND", missing.errorCode());
    Http.Answer bad = Http.get(api(0) + "/nodes/n1/resources?limit=-1");
    assertEquals(400, bad.status());
    assertEquals("INVALID_PARAMETER", bad.errorCode());
  }
}
