package akita.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The nodes of one benchmark run: {@code java -jar platform.jar start} processes on loopback with free ports, a
 * cluster name of their own and a data folder each (durability on, as by default). Every wait is bounded.
 */
final class NodeCluster implements AutoCloseable {

  /** How long the cluster may take to form, elect a leader and load its plugins. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  /** How long a node may take to stop after SIGTERM before it is killed. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(40);

  /** One node process. */
  record Node(String name, Process process, int apiPort, int hzPort, Path dir) {

    /** @return the base URL of its REST API */
    String api() {
      return "http://127.0.0.1:" + apiPort;
    }

    /** @return its Hazelcast address */
    String hz() {
      return "127.0.0.1:" + hzPort;
    }
  }

  private final String clusterName;
  private final List<Node> nodes;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private String leaderId;
  private String leaderName;
  private List<String> nodeIds = List.of();

  /**
   * Kills the nodes if this JVM exits before {@link #close} (Ctrl-C, SIGTERM, a crash): until session 11 an
   * interrupted bench left its node processes running.
   */
  private final Thread reaper;

  private NodeCluster(String clusterName, List<Node> nodes) {
    this.clusterName = clusterName;
    this.nodes = nodes;
    this.reaper = new Thread(() -> nodes.forEach(n -> n.process().destroyForcibly()), "bench-node-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * Starts {@code count} nodes and waits until they form one cluster with a leader and a quorum, every node
   * HEALTHY and, when asked, running the given task type.
   *
   * @param count how many nodes
   * @param jar platform.jar
   * @param jvmOptions options for each node's JVM (e.g. {@code -Xmx1g})
   * @param extraArgs more {@code start} options for every node (e.g. {@code --roles leader})
   * @param workDir where each node gets its folder
   * @param taskType a task type every node must offer before the run starts; {@code null} for none
   * @return the running cluster
   * @throws Exception if it did not form in time (the nodes are stopped)
   */
  static NodeCluster start(int count, Path jar, List<String> jvmOptions, List<String> extraArgs, Path workDir,
      String taskType) throws Exception {
    String cluster = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> hzPorts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      hzPorts.add(freePort());
    }
    String members = String.join(",", hzPorts.stream().map(p -> "127.0.0.1:" + p).toList());
    List<Node> nodes = new CopyOnWriteArrayList<>(); // the reaper may read it from another thread
    NodeCluster c = new NodeCluster(cluster, nodes);
    try {
      for (int i = 0; i < count; i++) {
        String name = "bench-" + (i + 1);
        Path dir = workDir.resolve(name);
        Files.createDirectories(dir);
        int api = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions.stream().map(o -> o.replace("{node}", name).replace("{dir}", dir.toString())).toList());
        cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "start", "--node-name", name,
            "--cluster-name", cluster, "--api-port", String.valueOf(api), "--hz-port", String.valueOf(hzPorts.get(i)),
            "--members", members, "--expected-members", String.valueOf(count),
            "--data-dir", dir.resolve("data").toString(), "--log-level", "WARN"));
        cmd.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AKITA_"));
        pb.redirectOutput(dir.resolve("stdout.log").toFile()).redirectError(dir.resolve("stderr.log").toFile());
        nodes.add(new Node(name, pb.start(), api, hzPorts.get(i), dir));
        if (i == 0 && count > 1) {
          // The first node forms the cluster alone; the others then join it instead of racing to form their own.
          c.awaitApi(nodes.get(0), START_TIMEOUT);
        }
      }
      c.awaitFormed(taskType, START_TIMEOUT);
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  /** @return the cluster name */
  String clusterName() {
    return clusterName;
  }

  /** @return the nodes, in start order */
  List<Node> nodes() {
    return nodes;
  }

  /** @return the nodes' Hazelcast addresses */
  List<String> members() {
    return nodes.stream().map(Node::hz).toList();
  }

  /** @return every node's id, as last seen */
  List<String> nodeIds() {
    return nodeIds;
  }

  /** @return the leader's node id, as last seen */
  String leaderId() {
    return leaderId;
  }

  /** @return the leader's node, as last seen */
  Node leader() {
    return nodes.stream().filter(n -> n.name().equals(leaderName)).findFirst().orElse(nodes.get(0));
  }

  private void awaitApi(Node n, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      alive(n);
      if (get(n.api() + "/api/v1/status") != null) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(n.name() + " did not answer on its API within " + timeout + tail(n));
  }

  private void awaitFormed(String taskType, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      boolean ready = true;
      for (Node n : nodes) {
        alive(n);
        JsonObject view = get(n.api() + "/api/v1/cluster");
        if (view == null) {
          ready = false;
          last = n.name() + ": no answer";
          break;
        }
        String why = notReady(view, taskType);
        if (why != null) {
          ready = false;
          last = n.name() + ": " + why;
          break;
        }
        leaderId = view.getJsonObject("leader").getString("id");
        leaderName = view.getJsonObject("leader").getString("name");
        nodeIds = view.getJsonArray("nodes").stream().map(o -> ((JsonObject) o).getString("id")).toList();
      }
      if (ready) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the cluster did not form within " + timeout + " (" + last + ")"
        + tail(nodes.get(0)));
  }

  /** @return why a node's view of the cluster is not ready yet, or {@code null} when it is */
  private String notReady(JsonObject view, String taskType) {
    if (!(view.getValue("leader") instanceof JsonObject)) {
      return "no leader yet";
    }
    JsonObject quorum = view.getJsonObject("quorum", new JsonObject());
    if (!quorum.getBoolean("ok", false)) {
      return "no quorum yet";
    }
    JsonArray list = view.getJsonArray("nodes", new JsonArray());
    int healthy = 0;
    int running = 0;
    for (Object o : list) {
      JsonObject n = (JsonObject) o;
      if ("HEALTHY".equals(n.getString("state"))) {
        healthy++;
      }
      if (taskType != null && n.getJsonArray("taskTypes", new JsonArray()).contains(taskType)) {
        running++;
      }
    }
    if (healthy < nodes.size()) {
      return healthy + " of " + nodes.size() + " nodes healthy";
    }
    if (taskType != null && running < nodes.size()) {
      return running + " of " + nodes.size() + " nodes run " + taskType;
    }
    return null;
  }

  private static void alive(Node n) {
    if (!n.process().isAlive()) {
      throw new IllegalStateException(n.name() + " exited with " + n.process().exitValue() + tail(n));
    }
  }

  /** @return the JSON a GET answered with 200, or {@code null} on any failure */
  JsonObject get(String url) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** @return the end of a node's logs, for an error message */
  static String tail(Node n) {
    StringBuilder b = new StringBuilder();
    for (String f : List.of("stdout.log", "stderr.log")) {
      try {
        List<String> lines = Files.readAllLines(n.dir().resolve(f));
        if (!lines.isEmpty()) {
          b.append("\n--- ").append(n.name()).append(' ').append(f).append(" (last lines) ---\n");
          b.append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        }
      } catch (IOException | UncheckedIOException e) {
        // no log yet
      }
    }
    return b.toString();
  }

  /**
   * Stops every node with SIGTERM and waits for them (killing any that hangs).
   *
   * @return the nodes that did not exit 0, as text; empty when all did
   */
  String stop() {
    nodes.forEach(n -> n.process().destroy());
    StringBuilder bad = new StringBuilder();
    for (Node n : nodes) {
      try {
        if (!n.process().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          n.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          bad.append(n.name()).append(" did not stop within ").append(STOP_TIMEOUT).append(" and was killed; ");
        } else if (n.process().exitValue() != 0) {
          bad.append(n.name()).append(" exited with ").append(n.process().exitValue()).append("; ");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        n.process().destroyForcibly();
      }
    }
    return bad.toString();
  }

  /** Kills whatever still runs. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // the JVM is exiting: the reaper runs anyway
    }
    for (Node n : nodes) {
      if (n.process().isAlive()) {
        n.process().destroyForcibly();
        try {
          n.process().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** @return a free port on 127.0.0.1 ({@link Ports#free()}) */
  static int freePort() {
    return Ports.free();
  }

}
