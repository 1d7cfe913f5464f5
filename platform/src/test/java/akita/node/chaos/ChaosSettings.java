package akita.node.chaos;

import akita.node.config.ConfigOption;
import io.vertx.core.json.JsonObject;

/**
 * The chaos runs' knobs, from system properties ({@code mvn verify -Pchaos -Dakita.chaos.rate=1000 ...}); the
 * defaults are the CI profile: a low rate and short phases, so the whole run takes a few minutes on 2 cores.
 *
 * @param rate submitted tasks per second (open loop)
 * @param phaseMs steady load before each fault and again after the cluster recovered
 * @param leaderKills how many times in a row the leader is killed
 * @param freezeMs how long a node stays stopped (SIGSTOP); longer than the member timeout
 * @param freezeTarget which node is stopped: {@code follower} or {@code leader}
 * @param partitionMs how long the isolated node stays cut off
 * @param partitionTarget which node is isolated: {@code leader} or {@code follower}
 * @param slowPerSecond of the submitted tasks, how many per second are slow ({@code shell sleep}), so that
 *     some are running on the node a fault hits
 * @param slowSeconds how long a slow task runs
 * @param retryMs how long a refused submit is repeated with its idempotency key
 * @param settleMs how long the checks wait for every acknowledged task to end
 * @param slots task slots per node
 * @param recheckEarlier whether each scenario's checks read again every task that ended in an earlier one
 */
record ChaosSettings(double rate, long phaseMs, int leaderKills, long freezeMs, String freezeTarget,
    long partitionMs, String partitionTarget, double slowPerSecond, double slowSeconds, long retryMs,
    long settleMs, int slots, boolean recheckEarlier) {

  /** The member timeout the nodes run with (the default: the chaos nodes do not change it). */
  static final long MEMBER_TIMEOUT_MS = Long.parseLong(ConfigOption.MEMBER_TIMEOUT_MS.defaultValue());

  /** @return the settings from the system properties, with the CI defaults */
  static ChaosSettings fromSystemProperties() {
    return new ChaosSettings(
        dbl("rate", 200),
        lng("phaseMs", 4_000),
        (int) lng("leaderKills", 5),
        lng("freezeMs", MEMBER_TIMEOUT_MS + 3_000),
        str("freezeTarget", "follower"),
        lng("partitionMs", 12_000),
        str("partitionTarget", "leader"),
        dbl("slowPerSecond", 5),
        dbl("slowSeconds", 1),
        lng("retryMs", 60_000),
        lng("settleMs", 240_000),
        (int) lng("slots", 8),
        Boolean.parseBoolean(str("recheckEarlier", "true")));
  }

  private static String str(String name, String def) {
    return System.getProperty("akita.chaos." + name, def);
  }

  private static double dbl(String name, double def) {
    return Double.parseDouble(str(name, String.valueOf(def)));
  }

  private static long lng(String name, long def) {
    return Long.parseLong(str(name, String.valueOf(def)));
  }

  /** @return the settings as JSON, for the report */
  JsonObject toJson() {
    return new JsonObject().put("rate", rate).put("phaseMs", phaseMs).put("leaderKills", leaderKills)
        .put("freezeMs", freezeMs).put("freezeTarget", freezeTarget).put("partitionMs", partitionMs)
        .put("partitionTarget", partitionTarget).put("slowPerSecond", slowPerSecond).put("slowSeconds", slowSeconds)
        .put("retryMs", retryMs).put("settleMs", settleMs).put("slots", slots).put("recheckEarlier", recheckEarlier)
        .put("memberTimeoutMs", MEMBER_TIMEOUT_MS);
  }
}
