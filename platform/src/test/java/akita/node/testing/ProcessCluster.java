package akita.node.testing;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A cluster of {@code java -jar} node processes with fixed addresses and data folders, so that a node killed
 * or stopped by a test can be started again as the same node (same id, ports and data) and rejoin. Every wait
 * is bounded.
 */
public final class ProcessCluster implements AutoCloseable {

  /**
   * One node: where it listens and where it keeps its data and logs.
   *
   * @param name the node name
   * @param bindHost the address for Hazelcast and the event bus
   * @param hzPort the Hazelcast port
   * @param apiHost the address of the HTTP API
   * @param apiPort the API port
   * @param home the folder for its data ({@code home/data}) and its stdout/stderr logs
   * @param prefix words before {@code java} (such as {@code ip netns exec NS}); empty for none
   */
  public record NodeSpec(String name, String bindHost, int hzPort, String apiHost, int apiPort, Path home,
      List<String> prefix) {

    /** @return the API's base URL, such as {@code http://127.0.0.1:8080} */
    public String api() {
      return "http://" + apiHost + ":" + apiPort;
    }

    /** @return this node's entry in a {@code --members} list */
    public String member() {
      return bindHost + ":" + hzPort;
    }

    /**
     * A node on loopback with ports that were free a moment ago.
     *
     * @param name the node name
     * @param home its folder
     * @return the node
     */
    public static NodeSpec loopback(String name, Path home) {
      return new NodeSpec(name, "127.0.0.1", TestNodes.freePort(), "127.0.0.1", TestNodes.freePort(), home,
          List.of());
    }
  }

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final String cluster;
  private final List<NodeSpec> nodes;
  private final List<String> extraArgs;
  private final NodeProcess[] procs;

  /**
   * @param cluster the cluster name
   * @param nodes the nodes; each lists every node as a member and expects all of them
   * @param extraArgs further {@code start} flags for every node
   */
  public ProcessCluster(String cluster, List<NodeSpec> nodes, String... extraArgs) {
    this.cluster = cluster;
    this.nodes = List.copyOf(nodes);
    this.extraArgs = List.of(extraArgs);
    this.procs = new NodeProcess[nodes.size()];
  }

  /**
   * A cluster of {@code n} loopback nodes named {@code n0, n1, ...} under {@code dir}, not started yet.
   *
   * @param dir the folder for the nodes' folders
   * @param n how many nodes
   * @param extraArgs further {@code start} flags for every node
   * @return the cluster
   */
  public static ProcessCluster loopback(Path dir, int n, String... extraArgs) {
    List<NodeSpec> specs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      specs.add(NodeSpec.loopback("n" + i, dir.resolve("n" + i)));
    }
    return new ProcessCluster(TestNodes.uniqueCluster(), specs, extraArgs);
  }

  /** @return how many nodes the cluster has */
  public int size() {
    return nodes.size();
  }

  /** @return node {@code i}'s description */
  public NodeSpec node(int i) {
    return nodes.get(i);
  }

  /** @return node {@code i}'s API base URL */
  public String api(int i) {
    return nodes.get(i).api();
  }

  /** @return node {@code i}'s current process, or null if it was never started */
  public NodeProcess process(int i) {
    return procs[i];
  }

  /** @return whether node {@code i}'s process runs (a stopped process counts as running) */
  public boolean isUp(int i) {
    return procs[i] != null && procs[i].isAlive();
  }

  /** @return the index of the node with that name */
  public int indexOf(String name) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).name().equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no node named " + name);
  }

  /** Starts node {@code i} (again) with its fixed addresses and data folder; does not wait. */
  public void start(int i) throws Exception {
    if (isUp(i)) {
      throw new IllegalStateException(nodes.get(i).name() + " is running");
    }
    NodeSpec n = nodes.get(i);
    String members = nodes.stream().map(NodeSpec::member).collect(Collectors.joining(","));
    List<String> args = new ArrayList<>(List.of("start", "--node-name", n.name(), "--cluster-name", cluster,
        "--bind-host", n.bindHost(), "--hz-port", String.valueOf(n.hzPort()), "--api-host", n.apiHost(),
        "--api-port", String.valueOf(n.apiPort()), "--members", members,
        "--expected-members", String.valueOf(nodes.size()), "--data-dir", n.home().toAbsolutePath().resolve("data").toString()));
    args.addAll(extraArgs);
    procs[i] = NodeProcess.start(n.prefix(), n.home(), Map.of(), args.toArray(String[]::new));
  }

  /** Waits until node {@code i} answers {@code /health} with 200. */
  public void awaitHealthy(int i) throws Exception {
    procs[i].awaitHealthy(api(i), START_TIMEOUT);
  }

  /** Starts every node that is not running, then waits for all of them to be ready. */
  public void startAll() throws Exception {
    List<Integer> started = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (!isUp(i)) {
        start(i);
        started.add(i);
      }
    }
    for (int i : started) {
      awaitHealthy(i);
    }
  }

  /** Kills node {@code i} with kill -9 and waits until its process is gone. */
  public void kill(int i) throws Exception {
    procs[i].signal("KILL");
  }

  /** @return the cluster view ({@code GET /api/v1/cluster}) as node {@code i} answers it */
  public JsonObject view(int i) throws Exception {
    return Http.get(api(i) + "/api/v1/cluster").json();
  }

  /** @return every node's API base URL, in node order */
  public List<String> apis() {
    return nodes.stream().map(NodeSpec::api).toList();
  }

  /** @return the base URLs of the nodes whose process runs */
  public List<String> upApis() {
    List<String> up = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (isUp(i)) {
        up.add(api(i));
      }
    }
    return up;
  }

  /**
   * Waits until a node that runs reports a leader whose name is not {@code notName}.
   *
   * @param notName a leader to wait past (a killed one), or null for any
   * @param timeout how long to wait
   * @return the leader's index
   */
  public int awaitLeader(String notName, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < nodes.size(); i++) {
        if (!isUp(i)) {
          continue;
        }
        try {
          JsonObject leader = view(i).getJsonObject("leader");
          last = nodes.get(i).name() + " sees leader " + leader;
          if (leader != null && !leader.getString("name").equals(notName)) {
            return indexOf(leader.getString("name"));
          }
        } catch (Exception e) {
          last = nodes.get(i).name() + ": " + e;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no leader other than " + notName + " within " + timeout + " (" + last + ")");
  }

  /**
   * Waits until every node runs and agrees: each sees every node HEALTHY and the same leader and term.
   *
   * @param timeout how long to wait
   * @return the agreed view, from node 0
   */
  public JsonObject awaitSettled(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String why = "";
    while (System.nanoTime() < deadline) {
      why = settledProblem();
      if (why == null) {
        return view(0);
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the cluster did not settle within " + timeout + ": " + why);
  }

  /** @return why the cluster is not settled, or null when it is */
  private String settledProblem() {
    JsonObject first = null;
    for (int i = 0; i < nodes.size(); i++) {
      if (!isUp(i)) {
        return nodes.get(i).name() + " is not running";
      }
      JsonObject v;
      try {
        v = view(i);
      } catch (Exception e) {
        return nodes.get(i).name() + " does not answer: " + e;
      }
      if (v.getJsonArray("nodes") == null) {
        // Not a view: an error while the node starts (a node merged back after a partition restarts, ADR 19).
        return nodes.get(i).name() + " answers " + v.encode();
      }
      String states = states(v);
      String all = nodes.stream().map(n -> n.name() + "=HEALTHY").sorted().collect(Collectors.joining(","));
      if (v.getJsonObject("leader") == null || !states.equals(all)) {
        return nodes.get(i).name() + " sees leader " + v.getJsonObject("leader") + ", nodes " + states;
      }
      if (first == null) {
        first = v;
      } else if (!Objects.equals(first.getJsonObject("leader"), v.getJsonObject("leader"))
          || !Objects.equals(first.getLong("term"), v.getLong("term"))) {
        return "the nodes disagree: " + first.getJsonObject("leader") + " term " + first.getLong("term") + " vs "
            + v.getJsonObject("leader") + " term " + v.getLong("term");
      }
    }
    return null;
  }

  /** @return the node states of a view, such as {@code n0=HEALTHY,n1=OFFLINE}, in name order */
  public static String states(JsonObject view) {
    return view.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
        .sorted(Comparator.comparing(n -> n.getString("name")))
        .map(n -> n.getString("name") + "=" + n.getString("state")).collect(Collectors.joining(","));
  }

  /** Kills every node still running. */
  @Override
  public void close() {
    for (NodeProcess p : procs) {
      if (p != null) {
        p.close();
      }
    }
  }
}
