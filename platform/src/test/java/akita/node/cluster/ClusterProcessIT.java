package akita.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.Http;
import akita.node.testing.Http.Answer;
import akita.node.testing.NodeProcess;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code java -jar} processes on loopback, where crash behaviour is real: kill -9 of the leader,
 * a frozen (SIGSTOP) member, and a lone survivor without quorum.
 */
class ClusterProcessIT {

  /** Failover goal: from kill -9 of the leader to a new leader announced (measured by chaos and bench). */
  private static final long FAILOVER_GOAL_MS = 3_000;

  /**
   * What this test asserts: a killed leader's broken connection is normally noticed within a second, but on a
   * loaded machine Hazelcast may only drop it at the member timeout (5 s by default); past that plus an
   * election's margin, failure detection itself is broken. The goal is a figure, not a timed assertion.
   */
  private static final long FAILOVER_BOUND_MS = 5_000 + 3_000;

  @TempDir
  Path dir;

  private final List<NodeProcess> procs = new ArrayList<>();
  private final List<String> apis = new ArrayList<>();
  private final List<String> names = new ArrayList<>();

  @AfterEach
  void killAll() {
    procs.forEach(NodeProcess::close);
  }

  private void startThree(String... extra) throws Exception {
    String cluster = TestNodes.uniqueCluster();
    int[] hz = {TestNodes.freePort(), TestNodes.freePort(), TestNodes.freePort()};
    String members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1] + ",127.0.0.1:" + hz[2];
    for (int i = 0; i < 3; i++) {
      int api = TestNodes.freePort();
      List<String> args = new ArrayList<>(List.of("start", "--node-name", "p" + i, "--cluster-name", cluster,
          "--hz-port", String.valueOf(hz[i]), "--api-port", String.valueOf(api), "--members", members,
          "--capabilities", "cap" + i, "--expected-members", "3"));
      args.addAll(List.of(extra));
      procs.add(NodeProcess.start(dir.resolve("p" + i), Map.of(), args.toArray(String[]::new)));
      apis.add("http://127.0.0.1:" + api);
      names.add("p" + i);
    }
    for (int i = 0; i < 3; i++) {
      procs.get(i).awaitHealthy(apis.get(i), Duration.ofSeconds(60));
    }
    for (String api : apis) {
      await(api, c -> c.getJsonObject("leader") != null && states(c).equals("HEALTHY,HEALTHY,HEALTHY"), 30);
    }
  }

  private static JsonObject cluster(String api) throws Exception {
    return Http.get(api + "/api/v1/cluster").json();
  }

  private static JsonObject await(String api, Predicate<JsonObject> p, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    JsonObject c = cluster(api);
    while (!p.test(c)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("cluster view at " + api + " never matched: " + c.encodePrettily());
      }
      Thread.sleep(25);
      c = cluster(api);
    }
    return c;
  }

  /** Node states in name order, such as HEALTHY,OFFLINE,HEALTHY. */
  private static String states(JsonObject c) {
    return String.join(",", c.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
        .sorted(java.util.Comparator.comparing(n -> n.getString("name")))
        .map(n -> n.getString("state")).toList());
  }

  private static String stateOf(JsonObject c, String name) {
    return c.getJsonArray("nodes").stream().map(o -> (JsonObject) o).filter(n -> n.getString("name").equals(name))
        .map(n -> n.getString("state")).findFirst().orElse("ABSENT");
  }

  private int indexOf(String name) {
    return names.indexOf(name);
  }

  /**
   * Verifies the three agree on one leader and term with capabilities; then kill -9 of the leader: the
   * survivors elect a new leader with a higher term within the goal, and see the killed node OFFLINE; then a
   * second kill leaves a lone node without quorum, which has no leader and answers leader-only requests 503.
   */
  @Test
  void leaderFailoverAndQuorum() throws Exception {
    startThree();
    JsonObject first = cluster(apis.get(0));
    for (String api : apis) {
      JsonObject c = cluster(api);
      assertEquals(first.getJsonObject("leader"), c.getJsonObject("leader"));
      assertEquals(first.getLong("term"), c.getLong("term"));
      for (Object o : c.getJsonArray("nodes")) {
        JsonObject n = (JsonObject) o;
        assertEquals("cap" + n.getString("name").substring(1), n.getJsonArray("capabilities").getString(0));
      }
    }
    String leaderName = first.getJsonObject("leader").getString("name");
    long term = first.getLong("term");
    int leader = indexOf(leaderName);
    List<Integer> survivors = new ArrayList<>(List.of(0, 1, 2));
    survivors.remove(Integer.valueOf(leader));

    long t0 = System.nanoTime();
    Runtime.getRuntime().exec(new String[] {"kill", "-9", String.valueOf(procs.get(leader).pid())}).waitFor();
    JsonObject after = await(apis.get(survivors.get(0)), c -> c.getJsonObject("leader") != null
        && c.getLong("term") > term, 30);
    long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    System.out.printf("leader failover: kill -9 of %s -> %s leads with term %d after %d ms (goal %d ms)%n",
        leaderName, after.getJsonObject("leader").getString("name"), after.getLong("term"), failoverMs,
        FAILOVER_GOAL_MS);
    assertTrue(failoverMs <= FAILOVER_BOUND_MS, "failover took " + failoverMs + " ms, more than the member "
        + "timeout plus an election (" + FAILOVER_BOUND_MS + " ms)");
    for (int s : survivors) {
      JsonObject c = await(apis.get(s), x -> x.getJsonObject("leader") != null && x.getLong("term") > term
          && stateOf(x, leaderName).equals("OFFLINE"), 10);
      assertEquals(after.getJsonObject("leader"), c.getJsonObject("leader"), "the survivors agree");
    }

    // A second kill: the lone survivor has 1 of 3 expected members, no quorum, so no leader.
    int victim = indexOf(after.getJsonObject("leader").getString("name"));
    int lone = survivors.get(0) == victim ? survivors.get(1) : survivors.get(0);
    Runtime.getRuntime().exec(new String[] {"kill", "-9", String.valueOf(procs.get(victim).pid())}).waitFor();
    JsonObject alone = await(apis.get(lone), c -> c.getJsonObject("leader") == null, 30);
    assertEquals(false, alone.getJsonObject("quorum").getBoolean("ok"));
    Answer refused = Http.post(apis.get(lone) + "/api/v1/nodes/" + names.get(lone) + "/drain", "");
    assertEquals(503, refused.status());
    assertEquals("NO_LEADER", refused.errorCode());
    assertTrue(refused.body().contains("1 of 3 expected members present"), refused.body());
  }

  /**
   * Verifies a frozen member (SIGSTOP) turns SUSPECT then OFFLINE on the others, and HEALTHY again after
   * SIGCONT while Hazelcast still counts it as a member.
   */
  @Test
  void frozenMemberIsSuspectThenOfflineThenRecovers() throws Exception {
    startThree("--heartbeat-interval-ms", "200", "--suspect-after-ms", "1000", "--offline-after-ms", "2500",
        "--member-timeout-ms", "20000");
    String leaderName = cluster(apis.get(0)).getJsonObject("leader").getString("name");
    int frozen = (indexOf(leaderName) + 1) % 3;
    String frozenName = names.get(frozen);
    String watcher = apis.get(indexOf(leaderName));
    long pid = procs.get(frozen).pid();
    Runtime.getRuntime().exec(new String[] {"kill", "-STOP", String.valueOf(pid)}).waitFor();
    try {
      await(watcher, c -> stateOf(c, frozenName).equals("SUSPECT"), 10);
      await(watcher, c -> stateOf(c, frozenName).equals("OFFLINE"), 10);
    } finally {
      Runtime.getRuntime().exec(new String[] {"kill", "-CONT", String.valueOf(pid)}).waitFor();
    }
    JsonObject back = await(watcher, c -> stateOf(c, frozenName).equals("HEALTHY"), 15);
    assertEquals(3, back.getJsonObject("quorum").getInteger("present"));
    assertEquals(leaderName, back.getJsonObject("leader").getString("name"), "a frozen follower moves no leader");
  }
}
