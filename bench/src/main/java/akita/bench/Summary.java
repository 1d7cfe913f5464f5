package akita.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/** The report as a few readable lines (without {@code --json}). */
final class Summary {

  private Summary() {
  }

  /** @return the main figures of a report, one per line */
  static String text(JsonObject r) {
    StringBuilder b = new StringBuilder();
    line(b, "%s on %d node(s) through %s, %d tasks%s", r.getString("workload"), r.getInteger("nodes"),
        r.getString("door"), r.getInteger("tasks"), r.containsKey("repetitions")
            ? ", median of " + r.getJsonArray("repetitions").size() + " repetitions" : "");
    if (!r.getBoolean("ok", false)) {
      line(b, "FAILED: %s", r.getString("error"));
    }
    if (r.getValue("tasksPerSecond") instanceof Number tps) {
      JsonObject spread = r.getJsonObject("spread", new JsonObject()).getJsonObject("tasksPerSecond");
      line(b, "tasks/s           %.0f%s", tps.doubleValue(), spread == null ? ""
          : String.format(Locale.ROOT, " (min %.0f, max %.0f)", spread.getDouble("min"), spread.getDouble("max")));
    }
    if (r.getValue("submitPerSecond") instanceof Number sps) {
      line(b, "submits/s         %.0f", sps.doubleValue());
    }
    latency(b, "submit → result", r.getJsonObject("latencyMs"));
    latency(b, "submit → start ", r.getJsonObject("startLatencyMs"));
    if (r.containsKey("offeredPerSecond")) {
      line(b, "offered rate      %.0f/s, held: %s", r.getDouble("offeredPerSecond"), r.getBoolean("rateHeld"));
    }
    StringBuilder slow = new StringBuilder();
    for (Object rep : r.getJsonArray("repetitions", new JsonArray())) {
      if (rep instanceof JsonObject o && o.getJsonObject("slowest") != null) {
        JsonObject w = o.getJsonObject("slowest");
        slow.append(slow.isEmpty() ? "" : ", ").append(w.getInteger("windowsWithHalf")).append(" of ")
            .append(w.getInteger("windows"));
      }
    }
    if (!slow.isEmpty()) {
      line(b, "slowest 1 %%       half of them submitted in %s windows of %d ms (by repetition)", slow,
          TaskRun.SLOW_WINDOW_MS);
    }
    StringBuilder jit = new StringBuilder();
    for (Object rep : r.getJsonArray("repetitions", new JsonArray())) {
      if (rep instanceof JsonObject o && o.getValue("compilerShare") instanceof Number share) {
        jit.append(jit.isEmpty() ? "" : ", ").append(Math.round(share.doubleValue() * 100)).append(" %");
      }
    }
    JsonObject warmup = r.getJsonObject("warmup");
    if (warmup != null && warmup.getJsonArray("rounds") != null && !warmup.getJsonArray("rounds").isEmpty()) {
      line(b, "warm-up           %d tasks, then %d round(s) until the JIT settled: %s", warmup.getInteger("tasks"),
          warmup.getJsonArray("rounds").size(), warmup.getBoolean("settled", false) ? "yes" : "no, time was up");
    }
    if (!jit.isEmpty()) {
      line(b, "JIT compilers     %s of all processes' CPU (by repetition)", jit);
    }
    if (r.getValue("eventBusBaselinePerSecond") instanceof Number eb) {
      line(b, "event bus         %.0f req/s (tasks/s ÷ event bus = %s)", eb.doubleValue(),
          r.getValue("ratioToEventBus"));
    }
    if (r.containsKey("scale")) {
      line(b, "scale             %s", r.getJsonObject("scale").encode());
    }
    if (r.getValue("peakRssMiB") instanceof Number rss) {
      line(b, "peak RSS          %.0f MiB (largest node)", rss.doubleValue());
    }
    if (r.getJsonObject("machine") != null) {
      JsonObject m = r.getJsonObject("machine");
      line(b, "machine           %d CPUs %s, %d MiB, %s, load %s → %s", m.getInteger("cpus"), m.getString("cpuModel"),
          m.getLong("memoryMiB"), m.getString("jdk"), m.getString("loadAverage"), m.getString("loadAverageAtEnd"));
    }
    return b.toString().stripTrailing();
  }

  private static void latency(StringBuilder b, String label, JsonObject l) {
    if (l != null) {
      line(b, "%s   p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms", label, l.getDouble("p50"), l.getDouble("p90"),
          l.getDouble("p99"), l.getDouble("max"));
    }
  }

  private static void line(StringBuilder b, String format, Object... args) {
    b.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
