package akita.node.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A node's validated configuration. Built only by {@link ConfigLoader}; every field is checked, so code
 * that receives a {@code NodeConfig} never validates again.
 *
 * @param nodeName the node's name, or {@code null} to derive it from the node id at start
 * @param clusterName the cluster to join
 * @param capabilities capabilities offered to the scheduler
 * @param roles what this node may do
 * @param expectedMembers the cluster size the operator expects (quorum = expectedMembers / 2 + 1)
 * @param slots how many tasks the node runs at once
 * @param prefetch a worker accepts up to slots × prefetch assignments
 * @param health heartbeat and failure-detection timing
 * @param agingMs waiting time per priority level gained in the queue
 * @param fairShareQuantumMs per-submitter spacing in queue time (0: off)
 * @param taskRetentionMs how long finished tasks stay in the leader's memory and the cluster map
 * @param taskRetentionMax how many finished tasks stay there at most
 * @param placementWeights weights of the placement score by name (rtt, load, queue, reliability, cpu, affinity)
 * @param api the HTTP API's settings
 * @param cluster the cluster network's settings
 * @param dataDir the data folder
 * @param pluginsDir the plugins folder
 * @param pluginsScanMs how often the plugins folder is rescanned (0: never)
 * @param shutdownTimeoutMs how long a graceful shutdown waits for running work
 * @param ledger ledger retention
 * @param log logging settings
 * @param resources resource sampling settings
 * @param configFile the config file that was read, or {@code null}
 */
public record NodeConfig(
    String nodeName,
    String clusterName,
    Set<String> capabilities,
    Set<Role> roles,
    int expectedMembers,
    int slots,
    int prefetch,
    Health health,
    long agingMs,
    long fairShareQuantumMs,
    long taskRetentionMs,
    int taskRetentionMax,
    java.util.Map<String, Double> placementWeights,
    Api api,
    Cluster cluster,
    Path dataDir,
    Path pluginsDir,
    long pluginsScanMs,
    long shutdownTimeoutMs,
    Ledger ledger,
    Log log,
    Resources resources,
    Path configFile) {

  /** @return the number of members that makes a quorum: a majority of the expected members */
  public int quorum() {
    return expectedMembers / 2 + 1;
  }

  /**
   * Heartbeat and failure-detection timing, in milliseconds.
   *
   * @param heartbeatIntervalMs how often a node announces itself
   * @param suspectAfterMs silence after which a node is SUSPECT
   * @param offlineAfterMs silence after which a node is OFFLINE
   * @param memberTimeoutMs silence after which Hazelcast removes a member
   */
  public record Health(long heartbeatIntervalMs, long suspectAfterMs, long offlineAfterMs, long memberTimeoutMs) {
  }

  /**
   * HTTP API settings.
   *
   * @param host interface to bind
   * @param port port to bind (0: any free port)
   * @param apiKeys accepted API keys; empty leaves the API open
   * @param apiKeyHeader the header that carries the key
   * @param maxBodyBytes the largest accepted request body
   * @param maxPluginBytes the largest accepted plugin upload
   */
  public record Api(String host, int port, List<String> apiKeys, String apiKeyHeader, long maxBodyBytes,
      long maxPluginBytes) {
    /** @return whether API keys are required */
    public boolean secured() {
      return !apiKeys.isEmpty();
    }

    @Override
    public String toString() {
      // Never print the keys.
      return "Api[host=" + host + ", port=" + port + ", keys=" + apiKeys.size() + ", header=" + apiKeyHeader
          + ", maxBodyBytes=" + maxBodyBytes + ", maxPluginBytes=" + maxPluginBytes + "]";
    }
  }

  /**
   * Cluster network settings.
   *
   * @param bindHost interface for Hazelcast and the event bus
   * @param hzPort Hazelcast member port
   * @param busPort event-bus port (0: any free port)
   * @param members the TCP-IP join list
   */
  public record Cluster(String bindHost, int hzPort, int busPort, List<HostPort> members) {
  }

  /**
   * Ledger retention; pruned entries leave a signed checkpoint.
   *
   * @param maxAgeMs entries older than this are pruned (0: never)
   * @param maxEntries at most this many entries are kept (0: no limit)
   */
  public record Ledger(long maxAgeMs, long maxEntries) {
  }

  /**
   * Resource sampling settings.
   *
   * @param intervalMs how often the node samples its resources
   * @param historySize how many samples it keeps
   */
  public record Resources(long intervalMs, int historySize) {
  }

  /**
   * Logging settings.
   *
   * @param json one JSON object per line instead of readable text
   * @param level the least severe level logged
   */
  public record Log(boolean json, String level) {
  }
}
