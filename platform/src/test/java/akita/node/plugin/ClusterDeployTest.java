package akita.node.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.Http.Answer;
import akita.node.testing.Plugins;
import akita.node.testing.TestNodes;
import akita.node.testing.TestPluginBuilder;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A jar deployed through one node reaches every node, including one that joins later. */
class ClusterDeployTest {

  @TempDir
  Path dir;

  private final List<Node> nodes = new ArrayList<>();
  private String cluster;
  private String members;

  @AfterEach
  void stopAll() throws Exception {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      TestNodes.stop(nodes.get(i));
    }
  }

  private Node join(String name) throws Exception {
    Map<ConfigOption, String> f = TestNodes.flags(dir.resolve(name), cluster);
    f.put(ConfigOption.NODE_NAME, name);
    f.put(ConfigOption.HEARTBEAT_INTERVAL_MS, "200");
    if (members == null) {
      members = "127.0.0.1:" + f.get(ConfigOption.HZ_PORT);
    } else {
      f.put(ConfigOption.MEMBERS, members);
    }
    Node n = TestNodes.start(f, Map.of());
    nodes.add(n);
    return n;
  }

  private static String api(Node n) {
    return "http://127.0.0.1:" + n.apiPort() + "/api/v1";
  }

  private static Answer upload(Node n, byte[] jar, String query) throws Exception {
    HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
        HttpRequest.newBuilder(URI.create(api(n) + "/plugins" + query))
            .header("Content-Type", "application/java-archive")
            .POST(HttpRequest.BodyPublishers.ofByteArray(jar)).build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
  }

  private static void awaitRuns(Node n, String version) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String seen = null;
    while (System.nanoTime() < deadline) {
      try {
        seen = Plugins.run(n.plugins(), "greet", new JsonObject()).getString("version");
        if (version.equals(seen)) {
          return;
        }
      } catch (ExecutionException e) {
        seen = e.getCause().getMessage();
      }
      Thread.sleep(50);
    }
    throw new AssertionError(n.context().name() + " never ran greet " + version + "; last: " + seen);
  }

  private static JsonObject awaitListing(Node n, Predicate<JsonObject> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonObject l = Http.get(api(n) + "/plugins").json();
    while (!p.test(l)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("plugin listing never matched: " + l.encodePrettily());
      }
      Thread.sleep(100);
      l = Http.get(api(n) + "/plugins").json();
    }
    return l;
  }

  private static JsonObject entry(JsonObject listing, String id, String version) {
    return listing.getJsonArray("plugins").stream().map(o -> (JsonObject) o)
        .filter(p -> p.getString("id").equals(id) && p.getString("version").equals(version)).findFirst().orElse(null);
  }

  private Path greeter(String version) throws Exception {
    return TestPluginBuilder.plugin("greeter").version(version)
        .source("t.greet.Greeter", TestPluginBuilder.executor("t.greet", "Greeter", "greet", version))
        .build(Files.createDirectories(dir.resolve("build-" + version)));
  }

  /** Verifies deploy, late join, upgrade and removal across the cluster, and the listing's nodes. */
  @Test
  void deployReachesEveryNodeAndLateJoiners() throws Exception {
    cluster = TestNodes.uniqueCluster();
    Node a = join("a");
    Node b = join("b");
    byte[] v1 = Files.readAllBytes(greeter("1.0.0"));

    Answer deployed = upload(b, v1, "");
    assertEquals(201, deployed.status(), deployed.body());
    assertEquals("greeter", deployed.json().getString("id"));
    assertEquals(64, deployed.json().getString("sha256").length());
    awaitRuns(a, "1.0.0");
    awaitRuns(b, "1.0.0");

    Node c = join("c");
    awaitRuns(c, "1.0.0");
    JsonObject listing = awaitListing(a, l -> {
      JsonObject e = entry(l, "greeter", "1.0.0");
      return e != null && e.getJsonArray("nodes").size() == 3;
    });
    JsonObject e = entry(listing, "greeter", "1.0.0");
    assertEquals("STARTED", e.getString("state"));
    assertEquals("CLUSTER", e.getString("source"));
    assertEquals("[\"greet\"]", e.getJsonArray("taskTypes").encode());
    assertEquals(deployed.json().getString("sha256"), e.getJsonObject("deployed").getString("sha256"));
    JsonObject noop = listing.getJsonArray("plugins").stream().map(o -> (JsonObject) o)
        .filter(p -> p.getString("id").equals("noop")).findFirst().orElseThrow();
    assertEquals("LOCAL", noop.getString("source"));
    assertEquals(3, noop.getJsonArray("nodes").size(), "the built-in plugin runs on every node");

    // Upgrade through another node.
    assertEquals(201, upload(a, Files.readAllBytes(greeter("2.0.0")), "").status());
    for (Node n : nodes) {
      awaitRuns(n, "2.0.0");
    }

    // Remove: gone everywhere; a second remove is 404; a plugin from the plugins folder is not removable.
    Answer removed = Http.method("DELETE", api(c) + "/plugins/greeter");
    assertEquals(200, removed.status(), removed.body());
    awaitListing(b, l -> l.getJsonArray("plugins").stream().map(o -> (JsonObject) o)
        .noneMatch(p -> p.getString("id").equals("greeter")));
    assertEquals("PLUGIN_NOT_FOUND", Http.method("DELETE", api(c) + "/plugins/greeter").errorCode());
    assertEquals("PLUGIN_CONFLICT", Http.method("DELETE", api(c) + "/plugins/noop").errorCode());

    // The cluster ledger holds the deploys and the removal, whichever node handled them, on every node.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    for (Node n : nodes) {
      while (Http.get(api(n) + "/ledger?subject=greeter&type=PLUGIN_REMOVED").json().getJsonArray("entries")
          .isEmpty()) {
        assertTrue(System.nanoTime() < deadline, "PLUGIN_REMOVED never reached " + n.context().name());
        Thread.sleep(50);
      }
      assertEquals(2, Http.get(api(n) + "/ledger?subject=greeter&type=PLUGIN_DEPLOYED").json()
          .getJsonArray("entries").size());
    }
  }

  /** Verifies a cluster-deployed plugin survives a restart of the whole cluster (here, of its one node). */
  @Test
  void deployedPluginSurvivesAWholeClusterRestart() throws Exception {
    cluster = TestNodes.uniqueCluster();
    Node a = join("a");
    assertEquals(201, upload(a, Files.readAllBytes(greeter("1.0.0")), "").status());
    awaitRuns(a, "1.0.0");
    nodes.remove(a);
    TestNodes.stop(a);
    members = null;
    Node again = join("a");
    awaitRuns(again, "1.0.0");
    JsonObject e = entry(awaitListing(again, l -> entry(l, "greeter", "1.0.0") != null
        && entry(l, "greeter", "1.0.0").containsKey("deployed")), "greeter", "1.0.0");
    assertEquals("restored after a cluster restart", e.getJsonObject("deployed").getString("deployedBy"));
  }

  /** Verifies bad uploads are refused with precise codes and nothing reaches the catalog. */
  @Test
  void badUploadsAreRefused() throws Exception {
    cluster = TestNodes.uniqueCluster();
    Node a = join("a");
    Answer junk = upload(a, "not a jar".getBytes(), "");
    assertEquals(400, junk.status());
    assertEquals("INVALID_PLUGIN", junk.errorCode());

    byte[] future = Files.readAllBytes(TestPluginBuilder.plugin("future").requires(">=2.0.0")
        .source("t.greet.Greeter", TestPluginBuilder.executor("t.greet", "Greeter", "greet", "1"))
        .build(Files.createDirectories(dir.resolve("future"))));
    Answer incompatible = upload(a, future, "");
    assertEquals("INCOMPATIBLE_PLUGIN", incompatible.errorCode());

    byte[] v1 = Files.readAllBytes(greeter("1.0.0"));
    Answer mismatch = upload(a, v1, "?sha256=" + "0".repeat(64));
    assertEquals(400, mismatch.status());
    assertEquals("CHECKSUM_MISMATCH", mismatch.errorCode());

    Answer clash = upload(a, Files.readAllBytes(Plugins.builtJar("noop")), "");
    assertEquals(409, clash.status());
    assertEquals("PLUGIN_CONFLICT", clash.errorCode());

    // A body bigger than the general limit (1 MiB) but within the plugin limit is read, then judged.
    Answer big = upload(a, new byte[2 * 1024 * 1024], "");
    assertEquals("INVALID_PLUGIN", big.errorCode(), big.body());

    JsonObject listing = Http.get(api(a) + "/plugins").json();
    assertTrue(listing.getJsonArray("plugins").stream().map(o -> (JsonObject) o)
        .noneMatch(p -> p.containsKey("deployed")), "nothing was deployed: " + listing.encode());
    assertEquals(200, Http.get("http://127.0.0.1:" + a.apiPort() + "/health").status());
  }
}
