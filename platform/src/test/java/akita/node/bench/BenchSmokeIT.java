package akita.node.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.NodeProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code bench} command, as users run it ({@code java -jar platform.jar bench ... --json}), with tiny
 * numbers: it keeps the harness working, it does not measure anything (docs/benchmarks.md has the real runs).
 * Each run starts its own node process, and must stop it.
 */
class BenchSmokeIT {

  /** Small, quick-starting nodes: the smoke test checks that the harness works, not how fast. */
  private static final String NODE_JVM = "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

  @TempDir
  Path dir;

  private JsonObject bench(String name, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("bench", "--json", "--repetitions", "1", "--baseline-ms", "200",
        "--node-jvm-opts", NODE_JVM, "--timeout-s", "60"));
    all.addAll(List.of(args));
    if (!all.contains("--warmup")) {
      all.addAll(List.of("--warmup", "0"));
    }
    try (NodeProcess p = NodeProcess.start(dir.resolve(name), Map.of(), all.toArray(String[]::new))) {
      int code = p.awaitExit(Duration.ofSeconds(180));
      String out = p.stdout();
      String err = p.stderr();
      assertEquals(0, code, "bench " + String.join(" ", args) + " failed:\n" + out + err);
      List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
      assertEquals(1, lines.size(), "--json prints one line, the report:\n" + out);
      JsonObject r = new JsonObject(lines.get(0));
      assertContract(r);
      for (Object o : r.getJsonArray("processes")) {
        JsonObject proc = (JsonObject) o;
        assertTrue(proc.getDouble("peakRssMiB") > 0, proc.encode());
        if (!"client".equals(proc.getString("role"))) {
          long pid = proc.getLong("pid");
          assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "node " + pid + " still runs");
        }
      }
      return r;
    }
  }

  /** The fields ARCHITECTURE.md §5 promises, with their types. */
  private static void assertContract(JsonObject r) {
    for (String f : List.of("workload", "door")) {
      assertTrue(r.getValue(f) instanceof String, f + " in " + r.encode());
    }
    for (String f : List.of("nodes", "tasks", "tasksPerSecond", "eventBusBaselinePerSecond", "peakRssMiB")) {
      assertTrue(r.getValue(f) instanceof Number, f + " in " + r.encode());
    }
    for (String p : List.of("p50", "p90", "p99", "max")) {
      assertTrue(r.getJsonObject("latencyMs").getValue(p) instanceof Number, "latencyMs." + p + " in " + r.encode());
    }
    assertTrue(r.getBoolean("ok"), r.encodePrettily());
    assertTrue(r.getDouble("tasksPerSecond") > 0 && r.getDouble("eventBusBaselinePerSecond") > 0, r.encode());
    assertTrue(r.getDouble("peakRssMiB") > 0, r.encode());
  }

  /** Verifies W1 through the event-bus door: every task is seen to end, and the ratio to the baseline is given. */
  @Test
  void throughputThroughTheEventBus() throws Exception {
    JsonObject r = bench("w1-eventbus", "--workload", "w1", "--nodes", "1", "--tasks", "200", "--door", "eventbus");
    assertEquals("w1", r.getString("workload"));
    assertEquals("eventbus", r.getString("door"));
    assertEquals(200, r.getInteger("tasks"));
    JsonObject rep = r.getJsonArray("repetitions").getJsonObject(0);
    assertEquals(200, rep.getInteger("completed"));
    assertEquals(0, rep.getInteger("errors"));
    assertTrue(r.getDouble("ratioToEventBus") > 0, r.encode());
    assertEquals(List.of("leader", "client"), r.getJsonArray("processes").stream()
        .map(p -> ((JsonObject) p).getString("role")).toList());
  }

  /**
   * Verifies the warm-up goes on in rounds until the JIT compilers settle, within its time limit, and that the
   * rounds and each repetition say what share of the CPU the compilers took.
   */
  @Test
  void warmUpUntilTheCompilersSettle() throws Exception {
    JsonObject r = bench("w1-settle", "--workload", "w1", "--nodes", "1", "--tasks", "200", "--warmup", "100",
        "--warmup-max-s", "2");
    JsonObject warmup = r.getJsonObject("warmup");
    assertEquals(100, warmup.getInteger("tasks"), r.encode());
    JsonArray rounds = warmup.getJsonArray("rounds");
    assertFalse(rounds.isEmpty(), r.encode());
    for (Object o : rounds) {
      JsonObject round = (JsonObject) o;
      assertEquals(100, round.getInteger("tasks"), round.encode());
      assertTrue(round.getBoolean("ok"), round.encode());
      double share = round.getDouble("compilerShare");
      assertTrue(share >= 0 && share <= 1, round.encode());
    }
    // Settled means the last round was at or under 5 %; otherwise the 2 s ran out (a round started before then).
    double last = rounds.getJsonObject(rounds.size() - 1).getDouble("compilerShare");
    assertEquals(last <= 0.05, warmup.getBoolean("settled"), r.encode());
    double share = r.getJsonArray("repetitions").getJsonObject(0).getDouble("compilerShare");
    assertTrue(share >= 0 && share <= 1, r.encode());
  }

  /** Verifies a bench stopped with SIGTERM (or Ctrl-C) in the middle of a run takes its node processes with it. */
  @Test
  void anInterruptedBenchStopsItsNodes() throws Exception {
    try (NodeProcess p = NodeProcess.start(dir.resolve("interrupted"), Map.of(), "bench", "--workload", "w1",
        "--nodes", "1", "--tasks", "10000000", "--warmup", "0", "--repetitions", "1", "--baseline-ms", "200",
        "--node-jvm-opts", NODE_JVM, "--timeout-s", "600")) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      List<ProcessHandle> nodes = List.of();
      while (nodes.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(200); // polls for the node process the bench starts
        nodes = ProcessHandle.of(p.pid()).orElseThrow().children()
            .filter(c -> c.info().arguments().map(a -> List.of(a).contains("start")).orElse(false)).toList();
      }
      assertEquals(1, nodes.size(), "the bench started its node:\n" + p.stderr());
      p.terminate(Duration.ofSeconds(60));
      for (ProcessHandle n : nodes) {
        n.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(n.isAlive(), "node " + n.pid() + " still runs after its bench was stopped");
      }
    }
  }

  /** Verifies W1 through REST, one task per request and in batches; both report CPU per task for each process. */
  @Test
  void throughputThroughRest() throws Exception {
    for (String door : List.of("rest", "rest-batch")) {
      JsonObject r = bench("w1-" + door, "--workload", "w1", "--nodes", "1", "--tasks", "200", "--door", door);
      assertEquals(door, r.getString("door"));
      JsonObject rep = r.getJsonArray("repetitions").getJsonObject(0);
      assertEquals(200, rep.getInteger("completed"));
      assertEquals(0, rep.getInteger("errors"));
      assertTrue(rep.getJsonObject("cpuMsPerTask").getDouble("nodes") > 0, rep.encode());
    }
  }

  /**
   * Verifies W2: a paced warm-up, then an open loop at a fixed rate, with submit → start latencies and whether the
   * rate was held.
   */
  @Test
  void latencyUnderLoad() throws Exception {
    JsonObject r = bench("w2", "--workload", "w2", "--nodes", "1", "--rate", "100", "--duration-s", "1",
        "--paced-warmup-s", "0.5");
    assertEquals(100, r.getInteger("tasks"));
    // Before the measured repetitions, half a second at the offered rate (not counted).
    assertEquals(50, r.getJsonObject("warmup").getInteger("pacedTasks"), r.encode());
    assertTrue(r.getJsonObject("warmup").getBoolean("pacedOk"), r.encode());
    assertEquals(100.0, r.getDouble("offeredPerSecond"));
    assertTrue(r.getValue("rateHeld") instanceof Boolean, r.encode());
    JsonObject start = r.getJsonObject("startLatencyMs");
    assertTrue(start.getDouble("p99") >= 0 && start.getDouble("p99") <= start.getDouble("max"), r.encode());
    // 100 tasks offered over 1 s: the run cannot have been faster than the schedule.
    assertTrue(r.getJsonArray("repetitions").getJsonObject(0).getLong("durationMs") >= 990, r.encode());
    // Each repetition starts once every node stored the ledger up to the same entry, and says how long that took.
    assertTrue(r.getJsonArray("repetitions").getJsonObject(0).getValue("settleMs") instanceof Number, r.encode());
  }

  /** Verifies W3: a queue filled, the leader's heap per queued task, and decision rates for two fleet sizes. */
  @Test
  void scaleWithSimulatedWorkers() throws Exception {
    JsonObject r = bench("w3", "--workload", "w3", "--nodes", "1", "--tasks", "10000", "--workers", "1,2",
        "--measure-s", "1");
    assertEquals(10_000, r.getInteger("queued"));
    assertTrue(r.getJsonObject("leaderHeap").getLong("bytesPerQueuedTask") > 0, r.encode());
    JsonArray scale = r.getJsonArray("scale");
    assertEquals(2, scale.size());
    assertEquals(List.of(1, 2), scale.stream().map(s -> ((JsonObject) s).getInteger("workers")).toList());
    for (Object s : scale) {
      assertTrue(((JsonObject) s).getDouble("decisionsPerSecond") > 0, r.encode());
    }
    assertTrue(r.getDouble("scaleRatio") > 0, r.encode());
  }
}
