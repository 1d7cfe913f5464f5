package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.Http;
import akita.node.testing.Http.Answer;
import akita.node.testing.NodeProcess;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No acknowledged task is lost, and none completes twice, when processes die: the leader killed with
 * kill -9 under load, a worker killed mid-task, and the whole cluster killed and restarted.
 */
class TaskProcessIT {

  @TempDir
  Path dir;

  private final List<NodeProcess> procs = new ArrayList<>();
  private final List<String> apis = new ArrayList<>();
  private final List<String[]> args = new ArrayList<>();

  @AfterEach
  void killAll() {
    procs.forEach(NodeProcess::close);
  }

  private void startThree() throws Exception {
    String cluster = TestNodes.uniqueCluster();
    int[] hz = {TestNodes.freePort(), TestNodes.freePort(), TestNodes.freePort()};
    String members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1] + ",127.0.0.1:" + hz[2];
    for (int i = 0; i < 3; i++) {
      int api = TestNodes.freePort();
      args.add(new String[] {"start", "--node-name", "p" + i, "--cluster-name", cluster, "--hz-port",
          String.valueOf(hz[i]), "--api-port", String.valueOf(api), "--members", members, "--expected-members", "3",
          "--slots", "8", "--data-dir", dir.resolve("p" + i).toString()});
      apis.add("http://127.0.0.1:" + api);
      procs.add(null);
    }
    for (int i = 0; i < 3; i++) {
      start(i);
    }
    for (int i = 0; i < 3; i++) {
      procs.get(i).awaitHealthy(apis.get(i), Duration.ofSeconds(60));
    }
    awaitLeader(apis.get(0));
    awaitShellWorkers(apis.get(0), 3);
  }

  /**
   * Waits until the cluster sees {@code n} HEALTHY nodes that run shell tasks, so that the first tasks spread over
   * all of them (a node still starting its plugins gets none, and a test that needs it to run some would wait in
   * vain); bounded.
   */
  private static void awaitShellWorkers(String api, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      JsonArray nodes = Http.get(api + "/api/v1/cluster").json().getJsonArray("nodes", new JsonArray());
      long ready = nodes.stream().map(o -> (JsonObject) o).filter(node -> "HEALTHY".equals(node.getString("state"))
          && node.getJsonArray("taskTypes", new JsonArray()).contains("shell")).count();
      if (ready >= n) {
        return;
      }
      last = nodes.encode();
      Thread.sleep(100);
    }
    throw new AssertionError("fewer than " + n + " healthy shell workers: " + last);
  }

  private void start(int i) throws Exception {
    procs.set(i, NodeProcess.start(dir.resolve("work" + i), Map.of(), args.get(i)));
  }

  private static String awaitLeader(String api) throws Exception {
    return awaitLeader(api, null);
  }

  /** Waits for a leader other than {@code not}; bounded. */
  private static String awaitLeader(String api, String not) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        JsonObject leader = Http.get(api + "/api/v1/cluster").json().getJsonObject("leader");
        if (leader != null && !leader.getString("name").equals(not)) {
          return leader.getString("name");
        }
      } catch (Exception e) {
        // not up yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no leader at " + api);
  }

  private static JsonObject sleepTask(double seconds, String key) {
    return new JsonObject().put("type", "shell").put("idempotencyKey", key).put("maxAttempts", 5)
        .put("payload", new JsonObject().put("command", new JsonArray().add("sleep").add(String.valueOf(seconds))));
  }

  /** Submits n tasks through one node; returns the ids of the acknowledged ones (all, or the test fails). */
  private static List<String> submit(String api, int n, double seconds, String prefix) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Answer a = Http.post(api + "/api/v1/tasks", sleepTask(seconds, prefix + i).encode(),
          "Content-Type", "application/json");
      assertEquals(202, a.status(), a.body());
      ids.add(a.json().getString("id"));
    }
    return ids;
  }

  /** Waits until every task is terminal; returns them by id. Bounded. */
  private static Map<String, JsonObject> awaitAllTerminal(String api, List<String> ids, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Map<String, JsonObject> done = new HashMap<>();
    while (done.size() < ids.size()) {
      if (System.nanoTime() > deadline) {
        List<String> missing = ids.stream().filter(id -> !done.containsKey(id)).limit(5).toList();
        StringBuilder why = new StringBuilder();
        for (String id : missing) {
          why.append(Http.get(api + "/api/v1/tasks/" + id).body()).append('\n');
        }
        throw new AssertionError((ids.size() - done.size()) + " task(s) never ended, e.g.:\n" + why);
      }
      for (String id : ids) {
        if (done.containsKey(id)) {
          continue;
        }
        Answer a = Http.get(api + "/api/v1/tasks/" + id);
        if (a.status() == 200 && List.of("COMPLETED", "FAILED", "CANCELLED").contains(a.json().getString("state"))) {
          done.put(id, a.json());
        }
      }
      Thread.sleep(200);
    }
    return done;
  }

  /** Every task COMPLETED exactly once: one terminal state, one COMPLETED attempt. */
  private static void assertCompletedOnce(Map<String, JsonObject> tasks) {
    for (JsonObject t : tasks.values()) {
      assertEquals("COMPLETED", t.getString("state"), t.encodePrettily());
      long completions = t.getJsonArray("attemptHistory").stream()
          .filter(a -> "COMPLETED".equals(((JsonObject) a).getString("outcome"))).count();
      assertEquals(1, completions, "completed exactly once: " + t.encodePrettily());
    }
  }

  private int indexOfName(String name) {
    return Integer.parseInt(name.substring(1));
  }

  /** Verifies kill -9 of the leader with 1,000 tasks in flight: every one ends exactly once, none is lost. */
  @Test
  void leaderKilledUnderLoad() throws Exception {
    startThree();
    String leader = awaitLeader(apis.get(0));
    int l = indexOfName(leader);
    int door = (l + 1) % 3;
    List<String> ids = submit(apis.get(door), 1000, 0.05, "lk-");
    long t0 = System.nanoTime();
    Runtime.getRuntime().exec(new String[] {"kill", "-9", String.valueOf(procs.get(l).pid())}).waitFor();
    String next = awaitLeader(apis.get(door), leader);
    System.out.printf("leader %s killed with 1000 tasks submitted; %s leads after %d ms%n", leader, next,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    Map<String, JsonObject> done = awaitAllTerminal(apis.get(door), ids, 240);
    assertEquals(1000, done.size());
    assertCompletedOnce(done);
  }

  /** Verifies a worker killed mid-task: its tasks complete on the other nodes. */
  @Test
  void workerKilledMidTask() throws Exception {
    startThree();
    String leader = awaitLeader(apis.get(0));
    int l = indexOfName(leader);
    int victim = (l + 1) % 3;
    int door = (l + 2) % 3;
    List<String> ids = submit(apis.get(door), 24, 3, "wk-");
    String victimId = Http.get(apis.get(victim) + "/api/v1/status").json().getString("nodeId");
    // Wait until the victim runs some of them, then kill it.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int onVictim = 0;
    while (onVictim == 0 && System.nanoTime() < deadline) {
      onVictim = Http.get(apis.get(door) + "/api/v1/tasks?state=RUNNING&node=" + victimId).json()
          .getJsonArray("tasks").size();
      Thread.sleep(50);
    }
    assertTrue(onVictim > 0, "the victim never ran a task");
    Runtime.getRuntime().exec(new String[] {"kill", "-9", String.valueOf(procs.get(victim).pid())}).waitFor();
    Map<String, JsonObject> done = awaitAllTerminal(apis.get(door), ids, 120);
    assertCompletedOnce(done);
    long lost = done.values().stream().filter(t -> t.getJsonArray("attemptHistory").stream()
        .anyMatch(a -> ((JsonObject) a).getJsonObject("error") != null
            && "WORKER_LOST".equals(((JsonObject) a).getJsonObject("error").getString("code")))).count();
    assertTrue(lost >= onVictim, lost + " task(s) recorded WORKER_LOST; " + onVictim + " were running on the victim");
    for (JsonObject t : done.values()) {
      assertTrue(!victimId.equals(t.getString("nodeId")), "completed elsewhere: " + t.encode());
    }
  }

  /** Verifies that after the whole cluster is killed mid-run and restarted, every acknowledged task ends. */
  @Test
  void wholeClusterRestart() throws Exception {
    startThree();
    String leader = awaitLeader(apis.get(0));
    int door = (indexOfName(leader) + 1) % 3;
    List<String> ids = submit(apis.get(door), 200, 0.2, "rs-");
    for (NodeProcess p : procs) {
      Runtime.getRuntime().exec(new String[] {"kill", "-9", String.valueOf(p.pid())}).waitFor();
    }
    for (NodeProcess p : procs) {
      p.awaitExit(Duration.ofSeconds(10));
    }
    for (int i = 0; i < 3; i++) {
      start(i);
    }
    for (int i = 0; i < 3; i++) {
      procs.get(i).awaitHealthy(apis.get(i), Duration.ofSeconds(60));
    }
    awaitLeader(apis.get(0));
    Map<String, JsonObject> done = awaitAllTerminal(apis.get(0), ids, 240);
    assertEquals(200, done.size());
    assertCompletedOnce(done);
  }
}
