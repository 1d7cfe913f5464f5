package akita.bench;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * What one {@code bench} invocation runs, after defaults and checks.
 *
 * @param workload {@code w1}, {@code w2} or {@code w3}
 * @param nodes how many node processes
 * @param door {@link Door#EVENTBUS}, {@link Door#REST} or {@link Door#REST_BATCH}
 * @param tasks tasks per repetition (W3: tasks queued)
 * @param window W1 and the baseline: requests in flight
 * @param ratePerSecond W2: the offered rate
 * @param repetitions measured repetitions
 * @param warmupTasks W1 and W2: tasks run (closed loop) before measuring, not counted
 * @param warmupMaxMs W1 and W2: after the warm-up's tasks, the longest it goes on in rounds until the JIT
 *     compilers have settled (0: no rounds)
 * @param pacedWarmupS W2: seconds at the offered rate (open loop) after that warm-up, before measuring
 * @param baselineMs how long the event-bus baseline runs before each repetition
 * @param connections REST: connections per node
 * @param workerCounts W3: the fleet sizes to measure, ascending
 * @param workerSlots W3: slots each simulated worker announces
 * @param measureMs W3: how long to measure the decision rate at each fleet size
 * @param jar platform.jar
 * @param nodeJvmOptions options for each node's JVM
 * @param jfr whether each node records a JFR profile into the work folder (kept)
 * @param workDir the folder for the nodes' data and logs, {@code null} for a temporary one
 * @param keepWorkDir whether to keep the work folder afterwards
 * @param timeoutMs the longest one repetition may take
 */
record BenchSettings(String workload, int nodes, String door, int tasks, int window, double ratePerSecond,
    int repetitions, int warmupTasks, long warmupMaxMs, double pacedWarmupS, long baselineMs, int connections,
    List<Integer> workerCounts, int workerSlots, long measureMs, Path jar, List<String> nodeJvmOptions, boolean jfr,
    Path workDir, boolean keepWorkDir, long timeoutMs) {

  /** The task type the workloads submit: the noop plugin's no-op. */
  static final String TASK_TYPE = "noop";
  /** Tasks in each settling round of the warm-up (fewer when the warm-up itself is smaller). */
  static final int WARMUP_ROUND_TASKS = 20_000;
  /** The warm-up ends after a round in which the JIT compilers used at most this share of all processes' CPU. */
  static final double SETTLED_COMPILER_SHARE = 0.05;

  /** @return the settings that shape the figures, for the report */
  JsonObject json() {
    JsonObject o = new JsonObject().put("repetitions", repetitions).put("baselineMs", baselineMs)
        .put("window", window).put("nodeJvmOptions", String.join(" ", nodeJvmOptions)).put("durable", true)
        .put("taskType", TASK_TYPE);
    switch (workload) {
      case "w2" -> o.put("ratePerSecond", ratePerSecond).put("warmupTasks", warmupTasks)
          .put("warmupMaxS", warmupMaxMs / 1000.0).put("pacedWarmupS", pacedWarmupS);
      case "w3" -> o.put("workerCounts", workerCounts).put("workerSlots", workerSlots).put("measureMs", measureMs);
      default -> o.put("warmupTasks", warmupTasks).put("warmupMaxS", warmupMaxMs / 1000.0);
    }
    if (!Door.EVENTBUS.equals(door)) {
      o.put("connectionsPerNode", connections);
    }
    return o;
  }
}
