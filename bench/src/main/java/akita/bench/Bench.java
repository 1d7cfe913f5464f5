package akita.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * One benchmark invocation: start the nodes, join their event bus, warm up, run the repetitions (each with the
 * event-bus baseline first), read every process's peak RSS, stop the nodes, and build the report.
 */
final class Bench {

  /** How long the cluster may answer NO_LEADER (or not at all) to the first task before the run gives up. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final BenchSettings s;
  private final ClusterAccess access;
  private final PrintStream log;

  Bench(BenchSettings s, ClusterAccess access, PrintStream log) {
    this.s = s;
    this.access = access;
    this.log = log;
  }

  /**
   * Runs the benchmark.
   *
   * @return the report (docs/benchmarks.md); {@code "ok": false} and {@code "error"} when a run failed
   * @throws Exception when the cluster could not be started or joined
   */
  JsonObject run() throws Exception {
    JsonObject machine = Machine.describe();
    Path work = s.workDir() != null ? Files.createDirectories(s.workDir()) : Files.createTempDirectory("akita-bench");
    boolean keep = s.keepWorkDir() || s.jfr();
    boolean w3 = "w3".equals(s.workload());
    List<String> jvm = new ArrayList<>(s.nodeJvmOptions());
    if (s.jfr()) {
      jvm.add("-XX:StartFlightRecording=filename={dir}/{node}.jfr,settings=profile,dumponexit=true");
    }
    // W3: the nodes only lead; the simulated workers are the only ones that run tasks.
    List<String> extra = w3 ? List.of("--roles", "leader") : List.of();
    log.printf("bench: starting %d node(s) in %s%n", s.nodes(), work);
    JsonObject report;
    boolean failed = true;
    try (NodeCluster cluster = NodeCluster.start(s.nodes(), s.jar(), jvm, extra, work,
        w3 ? null : BenchSettings.TASK_TYPE)) {
      Vertx vertx = access.join(cluster.clusterName(), cluster.members(), NodeCluster.freePort());
      JsonObject body;
      try {
        body = w3 ? new ScaleRun(s, access, cluster, vertx, log).run() : taskRuns(cluster, vertx);
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      JsonArray processes = processes(cluster);
      String stopIssues = cluster.stop();
      report = report(body, processes, machine);
      if (!stopIssues.isEmpty()) {
        report.put("ok", false).put("error", "after the run: " + stopIssues);
      }
      failed = !report.getBoolean("ok");
    } finally {
      if (failed) {
        keep = true;
      }
      if (keep) {
        log.printf("bench: node data and logs kept in %s%n", work);
      } else {
        delete(work);
      }
    }
    return report.put("workDir", keep ? work.toString() : null);
  }

  /** W1 and W2: the warm-up, then each repetition with its baseline. */
  private JsonObject taskRuns(NodeCluster cluster, Vertx vertx) throws Exception {
    Context submit = newContext(vertx);
    Context done = newContext(vertx);
    Door door = door(s, vertx, cluster);
    String ping = ping(cluster);
    try {
      awaitReady(vertx, submit, done, door);
      JsonObject warmup = null;
      if (s.warmupTasks() > 0) {
        log.printf("bench: warm-up, %d tasks%n", s.warmupTasks());
        warmup = await(TaskRun.run(vertx, submit, done, door, BenchSettings.TASK_TYPE, s.warmupTasks(),
            TaskRun.Pacing.closed(s.window()), s.timeoutMs(), false));
        warmup.put("rounds", settleCompilers(cluster, vertx, submit, done, door, ping));
        await(EventBusBaseline.measure(vertx, submit, ping, s.window(), Math.min(1_000, s.baselineMs())));
      }
      JsonObject paced = null;
      if ("w2".equals(s.workload()) && s.pacedWarmupS() > 0) {
        // The closed-loop warm-up compiles the code for full batches; the open loop's batches of one or two take
        // other branches, and the JIT recompiles for them (C2 threads at up to half a core) for about 20 s.
        int n = (int) Math.max(1, Math.round(s.ratePerSecond() * s.pacedWarmupS()));
        log.printf("bench: paced warm-up, %d tasks at %.0f/s%n", n, s.ratePerSecond());
        paced = await(TaskRun.run(vertx, submit, done, door, BenchSettings.TASK_TYPE, n,
            TaskRun.Pacing.open(s.ratePerSecond()), s.timeoutMs(), true));
      }
      List<JsonObject> reps = new ArrayList<>();
      for (int r = 1; r <= s.repetitions(); r++) {
        long settleMs = settle(vertx, cluster);
        JsonObject baseline = await(EventBusBaseline.measure(vertx, submit, ping, s.window(), s.baselineMs()));
        TaskRun.Pacing pacing = "w2".equals(s.workload()) ? TaskRun.Pacing.open(s.ratePerSecond())
            : TaskRun.Pacing.closed(s.window());
        Map<String, Long> cpuBefore = cpu(cluster);
        long compilersBefore = compilerCpu(cluster);
        JsonObject run = await(TaskRun.run(vertx, submit, done, door, BenchSettings.TASK_TYPE, s.tasks(), pacing,
            s.timeoutMs(), "w2".equals(s.workload())));
        Map<String, Long> cpuAfter = cpu(cluster);
        run.put("cpuMsPerTask", cpuPerTask(cpuBefore, cpuAfter, run.getInteger("completed", 0)));
        run.put("compilerShare", compilerShare(cpuBefore, cpuAfter, compilersBefore, compilerCpu(cluster)));
        run.put("settleMs", settleMs);
        double base = baseline.getDouble("requestsPerSecond");
        run.put("eventBusBaseline", baseline).put("eventBusBaselinePerSecond", base)
            .put("ratioToEventBus", base > 0 ? Math.round(run.getDouble("tasksPerSecond") / base * 1000) / 1000.0 : 0);
        log.printf("bench: repetition %d: %.0f tasks/s, p99 %.2f ms, event bus %.0f req/s, CPU %s ms/task%s%n", r,
            run.getDouble("tasksPerSecond"), run.getJsonObject("latencyMs").getDouble("p99"), base,
            run.getJsonObject("cpuMsPerTask").encode(),
            run.getBoolean("ok") ? "" : " — " + run.getString("error"));
        reps.add(run);
      }
      JsonObject body = summarize(reps);
      if (warmup != null || paced != null) {
        JsonObject w = new JsonObject();
        if (warmup != null) {
          JsonArray rounds = warmup.getJsonArray("rounds");
          w.put("tasks", warmup.getInteger("tasks")).put("tasksPerSecond", warmup.getDouble("tasksPerSecond"))
              .put("ok", warmup.getBoolean("ok")).put("rounds", rounds);
          if (!rounds.isEmpty()) {
            double last = rounds.getJsonObject(rounds.size() - 1).getDouble("compilerShare");
            w.put("settled", last >= 0 && last <= BenchSettings.SETTLED_COMPILER_SHARE);
          }
        }
        if (paced != null) {
          w.put("pacedTasks", paced.getInteger("tasks")).put("pacedOk", paced.getBoolean("ok"))
              .put("pacedLatencyMs", paced.getJsonObject("latencyMs"));
        }
        body.put("warmup", w);
      }
      return body;
    } finally {
      door.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Submits single tasks until one is seen to end: the leader may still be taking over (503 NO_LEADER) or
   * the workers still announcing their plugins.
   */
  private void awaitReady(Vertx vertx, Context submit, Context done, Door door) throws Exception {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      JsonObject probe = await(TaskRun.run(vertx, submit, done, door, BenchSettings.TASK_TYPE, 1,
          TaskRun.Pacing.closed(1), 10_000, false));
      if (probe.getBoolean("ok")) {
        return;
      }
      last = probe.getString("error");
      Thread.sleep(250);
    }
    throw new IllegalStateException("the cluster did not run a task within " + READY_TIMEOUT + ": " + last);
  }

  /** The report's body from the repetitions: medians at the top, the range under "spread", each repetition. */
  private JsonObject summarize(List<JsonObject> reps) {
    JsonObject o = new JsonObject()
        .put("tasksPerSecond", median(reps, r -> r.getDouble("tasksPerSecond")))
        .put("latencyMs", medians(reps, "latencyMs"))
        .put("eventBusBaselinePerSecond", median(reps, r -> r.getDouble("eventBusBaselinePerSecond")))
        .put("ratioToEventBus", median(reps, r -> r.getDouble("ratioToEventBus")))
        .put("submitPerSecond", median(reps, r -> r.getDouble("submitPerSecond")))
        .put("acceptLatencyMs", medians(reps, "acceptLatencyMs"))
        .put("cpuMsPerTask", medians(reps, "cpuMsPerTask"));
    JsonObject spread = new JsonObject()
        .put("tasksPerSecond", spread(reps, r -> r.getDouble("tasksPerSecond")))
        .put("latencyP50Ms", spread(reps, r -> r.getJsonObject("latencyMs").getDouble("p50")))
        .put("latencyP99Ms", spread(reps, r -> r.getJsonObject("latencyMs").getDouble("p99")))
        .put("eventBusBaselinePerSecond", spread(reps, r -> r.getDouble("eventBusBaselinePerSecond")))
        .put("ratioToEventBus", spread(reps, r -> r.getDouble("ratioToEventBus")));
    if ("w2".equals(s.workload())) {
      o.put("offeredPerSecond", s.ratePerSecond())
          .put("rateHeld", reps.stream().allMatch(r -> r.getBoolean("rateHeld")))
          .put("startLatencyMs", medians(reps, "startLatencyMs"))
          .put("sendLagMs", medians(reps, "sendLagMs"));
      spread.put("startLatencyP99Ms", spread(reps, r -> r.getJsonObject("startLatencyMs").getDouble("p99")));
    }
    List<String> errors = reps.stream().filter(r -> !r.getBoolean("ok")).map(r -> r.getString("error")).toList();
    o.put("spread", spread).put("repetitions", new JsonArray(new ArrayList<>(reps)))
        .put("ok", errors.isEmpty());
    if (!errors.isEmpty()) {
      o.put("error", errors.get(0));
    }
    return o;
  }

  private static double median(List<JsonObject> reps, Function<JsonObject, Double> f) {
    return Spread.of(reps.stream().map(f).toList()).median();
  }

  private static JsonObject spread(List<JsonObject> reps, Function<JsonObject, Double> f) {
    return Spread.of(reps.stream().map(f).toList()).json();
  }

  /** @return each percentile's median over the repetitions */
  private static JsonObject medians(List<JsonObject> reps, String field) {
    JsonObject out = new JsonObject();
    for (String p : reps.get(0).getJsonObject(field).fieldNames()) {
      if ("count".equals(p)) {
        continue;
      }
      out.put(p, Spread.of(reps.stream().map(r -> r.getJsonObject(field).getDouble(p)).toList()).median());
    }
    return out;
  }

  /** @return the CPU time each process has used so far (ms): the nodes by name, and this client JVM */
  private static Map<String, Long> cpu(NodeCluster cluster) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (NodeCluster.Node n : cluster.nodes()) {
      out.put(n.name(), ProcessMemory.cpuMs(n.process().pid()));
    }
    out.put("bench-client", ProcessMemory.cpuMs(ProcessHandle.current().pid()));
    return out;
  }

  /**
   * @return CPU ms per completed task of each process over a repetition, and their sum over the nodes
   *     ({@code "nodes"}): on a machine with C cores, 1000 × C / nodes is the most tasks/s the cluster could do
   */
  private static JsonObject cpuPerTask(Map<String, Long> before, Map<String, Long> after, int tasks) {
    JsonObject out = new JsonObject();
    double nodes = 0;
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long b = before.getOrDefault(e.getKey(), -1L);
      if (b < 0 || e.getValue() < 0 || tasks == 0) {
        continue;
      }
      double perTask = (e.getValue() - b) / (double) tasks;
      out.put(e.getKey(), Math.round(perTask * 1000) / 1000.0);
      if (!"bench-client".equals(e.getKey())) {
        nodes += perTask;
      }
    }
    return out.put("nodes", Math.round(nodes * 1000) / 1000.0);
  }

  /**
   * Goes on warming up, in rounds of an event-bus baseline and a W1 run, until the JIT compilers of every
   * process (the nodes and this client) used at most {@link BenchSettings#SETTLED_COMPILER_SHARE} of the
   * processes' CPU in a round, or the settings' time is up. On two shared cores the compilers took a fifth of
   * the nodes' CPU for minutes after a 100,000-task warm-up, and the repetitions measured JVMs still compiling
   * (docs/benchmarks.md).
   *
   * @return one {@code {tasks, tasksPerSecond, compilerShare}} per round; empty when rounds are off, or /proc
   *     cannot tell
   */
  private JsonArray settleCompilers(NodeCluster cluster, Vertx vertx, Context submit, Context done, Door door,
      String ping) throws Exception {
    JsonArray rounds = new JsonArray();
    long deadline = System.nanoTime() + s.warmupMaxMs() * 1_000_000;
    int tasks = Math.min(s.warmupTasks(), BenchSettings.WARMUP_ROUND_TASKS);
    while (s.warmupMaxMs() > 0 && System.nanoTime() < deadline) {
      Map<String, Long> cpuBefore = cpu(cluster);
      long compilersBefore = compilerCpu(cluster);
      if (compilersBefore < 0) {
        break; // /proc cannot tell
      }
      // A round runs like a repetition, the event-bus baseline first: its messages take other branches of the
      // event bus's code, and the JIT recompiled that code in the repetitions when only they ran the baseline.
      await(EventBusBaseline.measure(vertx, submit, ping, s.window(), Math.min(1_000, s.baselineMs())));
      JsonObject round = await(TaskRun.run(vertx, submit, done, door, BenchSettings.TASK_TYPE, tasks,
          TaskRun.Pacing.closed(s.window()), s.timeoutMs(), false));
      double share = compilerShare(cpuBefore, cpu(cluster), compilersBefore, compilerCpu(cluster));
      rounds.add(new JsonObject().put("tasks", tasks).put("tasksPerSecond", round.getDouble("tasksPerSecond"))
          .put("compilerShare", share).put("ok", round.getBoolean("ok")));
      if (!round.getBoolean("ok") || share < 0) {
        // A node is gone or a task failed: the repetitions will say so; more rounds would not settle anything.
        log.printf("bench: warm-up round %d failed: %s%n", rounds.size(),
            round.getBoolean("ok") ? "a process's CPU could not be read" : round.getString("error"));
        break;
      }
      log.printf("bench: warm-up round %d: %.0f tasks/s, compilers %.1f %% of the CPU%n", rounds.size(),
          round.getDouble("tasksPerSecond"), share * 100);
      if (share <= BenchSettings.SETTLED_COMPILER_SHARE) {
        break;
      }
    }
    return rounds;
  }

  /** @return the JIT compilers' CPU ms of the nodes and this client together, or -1 where /proc cannot tell */
  private static long compilerCpu(NodeCluster cluster) {
    long sum = ProcessMemory.compilerCpuMs(ProcessHandle.current().pid());
    for (NodeCluster.Node n : cluster.nodes()) {
      long ms = ProcessMemory.compilerCpuMs(n.process().pid());
      sum = sum < 0 || ms < 0 ? -1 : sum + ms;
    }
    return sum;
  }

  /** @return the compilers' share of all the processes' CPU between two readings, 0 to 1 (-1 if unknown) */
  private static double compilerShare(Map<String, Long> cpuBefore, Map<String, Long> cpuAfter,
      long compilersBefore, long compilersAfter) {
    long all = 0;
    for (Map.Entry<String, Long> e : cpuAfter.entrySet()) {
      long b = cpuBefore.getOrDefault(e.getKey(), -1L);
      if (b < 0 || e.getValue() < 0) {
        return -1;
      }
      all += e.getValue() - b;
    }
    if (compilersBefore < 0 || compilersAfter < 0 || all <= 0) {
      return -1;
    }
    double share = Math.max(0, compilersAfter - compilersBefore) / (double) all;
    return Math.round(Math.min(1, share) * 1000) / 1000.0;
  }

  /** @return every process with its peak RSS: the nodes (the leader marked) and this client JVM */
  private JsonArray processes(NodeCluster cluster) {
    JsonArray out = new JsonArray();
    for (NodeCluster.Node n : cluster.nodes()) {
      out.add(new JsonObject().put("name", n.name()).put("role", n.name().equals(cluster.leader().name())
              ? "leader" : "node").put("pid", n.process().pid())
          .put("peakRssMiB", round1(ProcessMemory.peakRssMiB(n.process().pid()))));
    }
    long self = ProcessHandle.current().pid();
    out.add(new JsonObject().put("name", "bench-client").put("role", "client").put("pid", self)
        .put("peakRssMiB", round1(ProcessMemory.peakRssMiB(self))));
    return out;
  }

  /** The report: the contract's fields first (ARCHITECTURE.md §5), then the rest. */
  private JsonObject report(JsonObject body, JsonArray processes, JsonObject machine) {
    double peak = processes.stream().map(p -> (JsonObject) p).filter(p -> !"client".equals(p.getString("role")))
        .map(p -> p.getDouble("peakRssMiB")).max(Comparator.naturalOrder()).orElse(-1.0);
    JsonObject o = new JsonObject().put("workload", s.workload()).put("nodes", s.nodes()).put("door", s.door())
        .put("tasks", s.tasks());
    for (String f : List.of("tasksPerSecond", "latencyMs", "eventBusBaselinePerSecond")) {
      o.put(f, body.getValue(f));
    }
    o.put("peakRssMiB", peak).put("ok", body.getBoolean("ok"));
    body.forEach(e -> {
      if (!o.containsKey(e.getKey())) {
        o.put(e.getKey(), e.getValue());
      }
    });
    machine.put("loadAverageAtEnd", Machine.loadAverage());
    return o.put("processes", processes).put("settings", s.json()).put("machine", machine);
  }

  static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /** @return the door the settings name, to every node of the cluster */
  static Door door(BenchSettings s, Vertx vertx, NodeCluster cluster) {
    return !Door.EVENTBUS.equals(s.door())
        ? new RestDoor(vertx, cluster.nodes().stream().map(NodeCluster.Node::apiPort).toList(), s.connections(),
            30_000, Door.REST_BATCH.equals(s.door()))
        : new EventBusDoor(vertx, Duration.ofSeconds(30));
  }

  /** The longest {@link #settle} waits. */
  private static final long SETTLE_MAX_MS = 120_000;

  /**
   * Waits until every node has stored the cluster's ledger up to the same entry (each node's
   * {@code akita.ledger.<id>.head}): after a run at full speed the followers store the replicated ledger seconds
   * behind the leader, and a repetition started then measures that catching up too. Bounded by
   * {@value #SETTLE_MAX_MS} ms; a node that does not answer is waited for like a lagging one.
   *
   * @return how long it waited, in ms
   */
  private long settle(Vertx vertx, NodeCluster cluster) throws Exception {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MILLISECONDS.toNanos(SETTLE_MAX_MS);
    while (true) {
      List<Future<Long>> heads = new ArrayList<>();
      for (String id : cluster.nodeIds()) {
        heads.add(vertx.eventBus().<JsonObject>request("akita.ledger." + id + ".head", new JsonObject())
            .map(m -> m.body().getLong("seq", -1L)).otherwise(-1L));
      }
      List<Long> seqs = new ArrayList<>();
      for (Future<Long> h : heads) {
        seqs.add(await(h, 10_000));
      }
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      if (!seqs.contains(-1L) && seqs.stream().distinct().count() == 1) {
        if (waited > 1_000) {
          log.printf("bench: waited %d ms for every node to store the ledger up to entry %d%n", waited, seqs.get(0));
        }
        return waited;
      }
      if (System.nanoTime() > deadline) {
        log.printf("bench: the nodes' ledgers still differ after %d ms (%s); measuring anyway%n", waited, seqs);
        return waited;
      }
      Thread.sleep(100);
    }
  }

  /** @return the leader's ping address (docs/event-bus.md), the event-bus baseline's target */
  static String ping(NodeCluster cluster) {
    return "akita.node." + cluster.leaderId() + ".ping";
  }

  /** @return a fresh event-loop context of its own (each deployment gets one) */
  static Context newContext(Vertx vertx) throws Exception {
    CompletableFuture<Context> ctx = new CompletableFuture<>();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        ctx.complete(context);
        return Future.succeededFuture();
      }
    }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return ctx.get();
  }

  /** Waits for a run's future from the main thread; the run has its own timeout, this is a backstop. */
  <T> T await(Future<T> f) throws Exception {
    return await(f, s.timeoutMs());
  }

  /** @return the future's result, waiting at most a minute longer than the run's own timeout */
  static <T> T await(Future<T> f, long runTimeoutMs) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(runTimeoutMs + 60_000, TimeUnit.MILLISECONDS);
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary folder is harmless
    }
  }
}
