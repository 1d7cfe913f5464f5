package akita.node.testing;

import akita.bench.Ports;
import akita.node.boot.Node;
import akita.node.config.ConfigLoader;
import akita.node.config.ConfigOption;
import akita.node.config.NodeConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Starts real nodes inside the test JVM: own data folder, free loopback ports, a unique cluster. */
public final class TestNodes {

  /** The built-in plugin jars the build copied for the platform. */
  public static final Path PLUGINS = Path.of("target", "plugins");

  private TestNodes() {
  }

  /** @return a port free on 127.0.0.1 a moment ago and never handed out before in this JVM ({@link Ports#free()}) */
  public static int freePort() {
    return Ports.free();
  }

  /** @return a cluster name no other test uses */
  public static String uniqueCluster() {
    return "test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Flags for a node on loopback with free ports; callers add or override entries.
   *
   * @param dataDir the node's data folder
   * @param cluster the cluster name
   * @return the flags
   */
  public static Map<ConfigOption, String> flags(Path dataDir, String cluster) {
    Map<ConfigOption, String> f = ConfigLoader.newFlagMap();
    f.put(ConfigOption.DATA_DIR, dataDir.toString());
    f.put(ConfigOption.CLUSTER_NAME, cluster);
    f.put(ConfigOption.API_PORT, "0");
    f.put(ConfigOption.HZ_PORT, String.valueOf(freePort()));
    f.put(ConfigOption.PLUGINS_DIR, PLUGINS.toString());
    return f;
  }

  /**
   * Starts a node and waits until it is ready.
   *
   * @param flags its command-line flags
   * @param env its environment
   * @return the running node
   */
  public static Node start(Map<ConfigOption, String> flags, Map<String, String> env) throws Exception {
    NodeConfig cfg = ConfigLoader.load(flags, env, PLUGINS);
    return Node.start(cfg).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /**
   * Flags for an in-JVM cluster of {@code n} nodes named n0, n1, ... in folders of the same names under
   * {@code dir}, each listing all as members, with 200 ms heartbeats.
   *
   * @param dir the parent folder
   * @param n how many nodes
   * @param expected the expected members (quorum base)
   * @return one flag map per node, to adjust before starting
   */
  public static java.util.List<Map<ConfigOption, String>> clusterFlags(Path dir, int n, int expected) {
    String cluster = uniqueCluster();
    java.util.List<Map<ConfigOption, String>> all = new java.util.ArrayList<>();
    StringBuilder members = new StringBuilder();
    for (int i = 0; i < n; i++) {
      Map<ConfigOption, String> f = flags(dir.resolve("n" + i), cluster);
      f.put(ConfigOption.NODE_NAME, "n" + i);
      f.put(ConfigOption.EXPECTED_MEMBERS, String.valueOf(expected));
      f.put(ConfigOption.HEARTBEAT_INTERVAL_MS, "200");
      all.add(f);
      members.append(members.length() == 0 ? "" : ",").append("127.0.0.1:").append(f.get(ConfigOption.HZ_PORT));
    }
    all.forEach(f -> f.put(ConfigOption.MEMBERS, members.toString()));
    return all;
  }

  /** Stops a node and waits for it; ignores null. */
  public static void stop(Node node) throws Exception {
    if (node != null) {
      node.stop("test finished").toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }
}
