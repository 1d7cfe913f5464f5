package akita.bench;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: starts nodes as separate processes on loopback, runs one workload against them and prints a
 * report (with {@code --json}, the one JSON object of ARCHITECTURE.md §5). Exit code 0 when every repetition
 * finished cleanly, 1 when one did not, 2 for bad usage.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Benchmark a cluster started for the purpose (docs/benchmarks.md).",
        "w1: throughput, closed loop; w2: latency at a fixed offered rate, open loop;",
        "w3: scale, a million queued tasks and 10 then 100 simulated workers."})
public final class BenchCommand implements Callable<Integer> {

  private final ClusterAccess access;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--workload", paramLabel = "w1|w2|w3", defaultValue = "w1",
      description = "What to measure. Default: ${DEFAULT-VALUE}.")
  String workload;

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "1",
      description = "Node processes to start, 1 to 9. Default: ${DEFAULT-VALUE}.")
  int nodes;

  @Option(names = "--door", paramLabel = "eventbus|rest|rest-batch", defaultValue = Door.EVENTBUS,
      description = "The way tasks are submitted: the event-bus RPC (TaskClient), POST /api/v1/tasks, or "
          + "POST /api/v1/tasks/batch with the submits of one event-loop turn. Default: ${DEFAULT-VALUE}.")
  String door;

  @Option(names = "--tasks", paramLabel = "N",
      description = "Tasks per repetition. Default: w1 20000; w2 rate × duration; w3 1000000 (queued).")
  Integer tasks;

  @Option(names = "--rate", paramLabel = "PER_S", defaultValue = "1000",
      description = "w2: the offered rate, tasks per second. Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(names = "--duration-s", paramLabel = "S", defaultValue = "10",
      description = "w2: how long to offer the rate, when --tasks is not given. Default: ${DEFAULT-VALUE}.")
  double durationS;

  @Option(names = "--repetitions", paramLabel = "N",
      description = "Measured repetitions; the report gives the median and the range. Default: 3 (w3: 1).")
  Integer repetitions;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "100000",
      description = "w1, w2: tasks run before measuring, not counted (0: none). Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--warmup-max-s", paramLabel = "S", defaultValue = "300",
      description = "w1, w2: after the warm-up's tasks, go on in rounds of up to 20,000 tasks until the JIT "
          + "compilers of the nodes and this client used at most 5 %% of their CPU in a round, for at most S seconds "
          + "(0: no rounds). Default: ${DEFAULT-VALUE}.")
  double warmupMaxS;

  @Option(names = "--paced-warmup-s", paramLabel = "S", defaultValue = "30",
      description = "w2: seconds at the offered rate after the warm-up, not counted (0: none); the JIT recompiles "
          + "for the open loop's small batches for about 20 s. Default: ${DEFAULT-VALUE}.")
  double pacedWarmupS;

  @Option(names = "--window", paramLabel = "N", defaultValue = "512",
      description = "Submits in flight (w1, the w3 fill, and the event-bus baseline). Default: ${DEFAULT-VALUE}.")
  int window;

  @Option(names = "--baseline-ms", paramLabel = "MS", defaultValue = "2000",
      description = "How long the event-bus baseline runs before each repetition. Default: ${DEFAULT-VALUE}.")
  long baselineMs;

  @Option(names = "--connections", paramLabel = "N", defaultValue = "32",
      description = "rest: keep-alive connections to each node. Default: ${DEFAULT-VALUE}.")
  int connections;

  @Option(names = "--workers", paramLabel = "N,...", split = ",", defaultValue = "10,100",
      description = "w3: simulated worker counts to measure, ascending. Default: ${DEFAULT-VALUE}.")
  List<Integer> workers;

  @Option(names = "--worker-slots", paramLabel = "N", defaultValue = "8",
      description = "w3: slots each simulated worker announces. Default: ${DEFAULT-VALUE}.")
  int workerSlots;

  @Option(names = "--measure-s", paramLabel = "S", defaultValue = "10",
      description = "w3: how long to measure the decision rate at each worker count. Default: ${DEFAULT-VALUE}.")
  double measureS;

  @Option(names = "--jar", paramLabel = "FILE",
      description = "platform.jar to start the nodes from. Default: the jar this command runs from.")
  Path jar;

  @Option(names = "--node-jvm-opts", paramLabel = "OPTS", defaultValue = "-Xmx1g",
      description = "JVM options of each node, space-separated. Default: ${DEFAULT-VALUE}.")
  String nodeJvmOpts;

  @Option(names = "--jfr", description = "Record a JFR profile on every node (kept in the work folder).")
  boolean jfr;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "Folder for the nodes' data and logs. Default: a temporary folder, deleted after a clean run.")
  Path workDir;

  @Option(names = "--keep", description = "Keep the work folder after a clean run.")
  boolean keep;

  @Option(names = "--timeout-s", paramLabel = "S", defaultValue = "600",
      description = "The longest one repetition may take. Default: ${DEFAULT-VALUE}.")
  long timeoutS;

  @Option(names = "--json", description = "Print only the report, as one JSON object.")
  boolean json;

  /**
   * @param access what the platform supplies: joining the cluster, simulated workers, quiet logging
   */
  public BenchCommand(ClusterAccess access) {
    this.access = access;
  }

  @Override
  public Integer call() throws Exception {
    BenchSettings settings;
    try {
      settings = settings();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("bench: " + e.getMessage());
      return 2;
    }
    access.quietLogging();
    PrintStream log = System.err;
    JsonObject report;
    try {
      report = new Bench(settings, access, log).run();
    } catch (Exception e) {
      log.println("bench: " + e.getMessage());
      report = new JsonObject().put("workload", settings.workload()).put("nodes", settings.nodes())
          .put("door", settings.door()).put("tasks", settings.tasks()).put("ok", false)
          .put("error", String.valueOf(e.getMessage()));
    }
    PrintStream out = System.out;
    out.println(json ? report.encode() : Summary.text(report));
    out.flush();
    return report.getBoolean("ok", false) ? 0 : 1;
  }

  /** @return the settings after defaults and checks; throws IllegalArgumentException naming the bad option */
  BenchSettings settings() {
    if (!List.of("w1", "w2", "w3").contains(workload)) {
      throw new IllegalArgumentException("--workload must be w1, w2 or w3, not " + workload);
    }
    if (!List.of(Door.EVENTBUS, Door.REST, Door.REST_BATCH).contains(door)) {
      throw new IllegalArgumentException("--door must be eventbus, rest or rest-batch, not " + door);
    }
    require(nodes >= 1 && nodes <= 9, "--nodes must be 1 to 9");
    require(window >= 1 && window <= 100_000, "--window must be 1 to 100000");
    require(rate > 0 && rate <= 1_000_000, "--rate must be above 0 and at most 1000000");
    require(durationS > 0, "--duration-s must be positive");
    require(warmup >= 0, "--warmup must not be negative");
    require(warmupMaxS >= 0 && warmupMaxS <= 3_600, "--warmup-max-s must be 0 to 3600");
    require(pacedWarmupS >= 0 && pacedWarmupS <= 3_600, "--paced-warmup-s must be 0 to 3600");
    require(baselineMs >= 100, "--baseline-ms must be at least 100");
    require(connections >= 1 && connections <= 1_000, "--connections must be 1 to 1000");
    require(workerSlots >= 1 && workerSlots <= 1_000, "--worker-slots must be 1 to 1000");
    require(measureS > 0, "--measure-s must be positive");
    require(timeoutS >= 1, "--timeout-s must be positive");
    require(!workers.isEmpty() && workers.stream().allMatch(w -> w >= 1 && w <= 500),
        "--workers must list counts of 1 to 500");
    for (int i = 1; i < workers.size(); i++) {
      require(workers.get(i) > workers.get(i - 1), "--workers must be ascending");
    }
    int n = tasks != null ? tasks : switch (workload) {
      case "w2" -> (int) Math.round(rate * durationS);
      case "w3" -> 1_000_000;
      default -> 20_000;
    };
    require(n >= 1 && n <= 10_000_000, "--tasks must be 1 to 10000000");
    int reps = repetitions != null ? repetitions : "w3".equals(workload) ? 1 : 3;
    require(reps >= 1 && reps <= 100, "--repetitions must be 1 to 100");
    Path platformJar = jar != null ? jar : runningJar();
    require(platformJar != null, "--jar is needed: this command does not run from platform.jar");
    require(Files.isRegularFile(platformJar), "--jar " + platformJar + " is not a file");
    List<String> jvm = Arrays.stream(nodeJvmOpts.trim().split("\\s+")).filter(o -> !o.isEmpty()).toList();
    return new BenchSettings(workload, nodes, door, n, window, rate, reps, warmup, Math.round(warmupMaxS * 1000),
        pacedWarmupS, baselineMs, connections, List.copyOf(workers), workerSlots, Math.round(measureS * 1000),
        platformJar, jvm, jfr, workDir, keep, timeoutS * 1000);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** @return the jar this class was loaded from, or {@code null} when it runs from a classes folder */
  static Path runningJar() {
    try {
      Path p = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(p) ? p : null;
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      return null;
    }
  }
}
