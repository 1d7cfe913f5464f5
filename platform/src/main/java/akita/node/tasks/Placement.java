package akita.node.tasks;

import akita.node.cluster.NodeHealth;
import akita.node.cluster.NodeInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where a task should run. First a hard filter (the node runs the type, offers every required capability,
 * is HEALTHY, not draining, not quarantined, and has a free slot), then a score, lower is better:
 *
 * <pre>
 *   score = rtt·rttMs/10 + load·running/slots + queue·inflight/slots + reliability·(1 - successRatio)
 *         + cpu·pressure + affinity terms
 * </pre>
 *
 * where {@code pressure} is the larger of the node's busy CPU fraction and its memory pressure (0 up to 90 %
 * of memory in use, rising to 1 when memory is full), both from the resource summary it announces.
 *
 * (the Planetary Mesh formula {@code a·RTT + b·Load + c·Queue + d·Reliability}, with CPU and affinity added).
 * Affinity lowers the score of preferred nodes, anti-affinity and an earlier failure of this task raise it.
 * Ties go to the node with fewer tasks in flight, so work spreads.
 */
final class Placement {

  /** The weights, from the node's configuration. */
  record Weights(double rtt, double load, double queue, double reliability, double cpu, double affinity) {
    static final Weights DEFAULT = new Weights(1, 1, 1, 2, 0.5, 1);
  }

  /** What the scheduler knows about one worker. */
  static final class Worker {
    final String id;
    NodeInfo info;
    NodeHealth health = NodeHealth.HEALTHY;
    double rttMs;
    int inflight;
    double successRatio = 1.0;
    long quarantinedUntil;
    final java.util.Map<String, Long> recentFailures = new java.util.LinkedHashMap<>();

    Worker(String id) {
      this.id = id;
    }

    int free() {
      return info == null || info.draining() ? 0 : Math.max(0, info.accepts() - inflight);
    }

    boolean available(long now) {
      return info != null && health == NodeHealth.HEALTHY && !info.draining() && quarantinedUntil <= now
          && info.slotsTotal() > 0;
    }

    /** Whether this worker could ever run tasks of this spec (ignoring its current load and health). */
    boolean canRun(TaskSpec s) {
      return info != null && info.slotsTotal() > 0 && info.taskTypes().contains(s.type())
          && info.capabilities().containsAll(s.requiredCapabilities());
    }
  }

  /** A scored candidate. */
  record Candidate(Worker worker, double score) {
  }

  /** The share of memory in use above which a node counts as under memory pressure. */
  static final double MEMORY_PRESSURE_FROM = 0.9;

  private final Weights w;

  Placement(Weights w) {
    this.w = w;
  }

  double score(Worker n, Task t) {
    NodeInfo i = n.info;
    double slots = Math.max(1, i.slotsTotal());
    double s = w.rtt() * n.rttMs / 10 + w.load() * i.running() / slots + w.queue() * n.inflight / slots
        + w.reliability() * (1 - n.successRatio) + w.cpu() * pressure(i.resources());
    TaskSpec spec = t.spec();
    if (matches(n, spec.affinity())) {
      s -= w.affinity();
    }
    if (matches(n, spec.antiAffinity())) {
      s += w.affinity();
    }
    if (t.failedOn().contains(n.id)) {
      s += 2 * w.affinity();
    }
    return s;
  }

  /**
   * @param resources a node's announced resource summary (docs/resources.md)
   * @return the larger of its busy CPU fraction and its memory pressure, 0 to 1; 0 for what it did not report
   */
  static double pressure(JsonObject resources) {
    double cpu = 0;
    if (resources.getValue("cpu") instanceof JsonObject c && c.getValue("total") instanceof Number total) {
      cpu = total.doubleValue();
    }
    double memory = 0;
    if (resources.getValue("memory") instanceof JsonObject m && m.getValue("totalBytes") instanceof Number total
        && m.getValue("availableBytes") instanceof Number available && total.doubleValue() > 0) {
      double used = 1 - available.doubleValue() / total.doubleValue();
      memory = (used - MEMORY_PRESSURE_FROM) / (1 - MEMORY_PRESSURE_FROM);
    }
    double p = Math.max(cpu, memory);
    return Double.isNaN(p) ? 0 : Math.max(0, Math.min(1, p));
  }

  private static boolean matches(Worker n, List<String> refs) {
    for (String r : refs) {
      if (r.equals(n.id) || r.equals(n.info.name()) || n.info.capabilities().contains(r)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Ranks the workers that can take the task now, best first.
   *
   * @return the candidates (empty when none passes the hard filter)
   */
  List<Candidate> rank(Task t, Iterable<Worker> workers, long now) {
    List<Candidate> out = new ArrayList<>();
    for (Worker n : workers) {
      if (n.available(now) && n.free() > 0 && n.canRun(t.spec())) {
        out.add(new Candidate(n, score(n, t)));
      }
    }
    out.sort(Comparator.comparingDouble(Candidate::score).thenComparingInt(c -> c.worker().inflight)
        .thenComparing(c -> c.worker().id));
    return out;
  }

  /** @return the explanation stored on the task: the chosen node, its score and the runners-up */
  static JsonObject explain(List<Candidate> ranked) {
    JsonArray runnersUp = new JsonArray();
    for (int i = 1; i < Math.min(3, ranked.size()); i++) {
      runnersUp.add(candidate(ranked.get(i)));
    }
    return new JsonObject().put("chosen", candidate(ranked.get(0))).put("runnersUp", runnersUp)
        .put("candidates", ranked.size());
  }

  private static JsonObject candidate(Candidate c) {
    return new JsonObject().put("nodeId", c.worker().id).put("name", c.worker().info.name())
        .put("score", Math.round(c.score() * 1000) / 1000.0);
  }
}
