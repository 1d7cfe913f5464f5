package akita.node.config;

/**
 * Every option a node reads, defined once: its key in the config file, its command-line flag, its
 * environment variable, its default and its help text. {@link ConfigLoader} resolves each with the
 * precedence flag &gt; environment &gt; config file &gt; default; the CLI builds the {@code start} command's
 * options from this table and docs/configuration.md lists it.
 */
public enum ConfigOption {
  CONFIG("config", "--config", "AKITA_CONFIG", "FILE", null,
      "JSON config file (default: conf/akita.json if it exists)."),
  NODE_NAME("nodeName", "--node-name", "AKITA_NODE_NAME", "NAME", null,
      "Human-readable node name (default: node-<first 8 characters of the node id>)."),
  CLUSTER_NAME("clusterName", "--cluster-name", "AKITA_CLUSTER_NAME", "NAME", "akita",
      "Nodes with the same cluster name form one cluster."),
  CAPABILITIES("capabilities", "--capabilities", "AKITA_CAPABILITIES", "CAP,...", "",
      "Capabilities this node offers to the scheduler, comma-separated (e.g. gpu,docker)."),
  ROLES("roles", "--roles", "AKITA_ROLES", "ROLE,...", "leader,worker",
      "leader (may be elected), worker (runs tasks), or both."),
  API_HOST("apiHost", "--api-host", "AKITA_API_HOST", "HOST", "127.0.0.1",
      "Interface the HTTP API and console bind to."),
  API_PORT("apiPort", "--api-port", "AKITA_API_PORT", "PORT", "8080",
      "Port of the HTTP API and console (0 picks a free port)."),
  DATA_DIR("dataDir", "--data-dir", "AKITA_DATA_DIR", "DIR", "data",
      "Folder for the node id and the SQLite database."),
  BIND_HOST("bindHost", "--bind-host", "AKITA_BIND_HOST", "HOST", "127.0.0.1",
      "Interface for cluster traffic (Hazelcast and the event bus); other nodes reach this node here."),
  HZ_PORT("hzPort", "--hz-port", "AKITA_HZ_PORT", "PORT", "5701",
      "Hazelcast member port."),
  BUS_PORT("busPort", "--bus-port", "AKITA_BUS_PORT", "PORT", "0",
      "Event-bus port (0 picks a free port)."),
  MEMBERS("members", "--members", "AKITA_MEMBERS", "HOST:PORT,...", "",
      "Hazelcast members to join (TCP-IP join list); empty forms a cluster of one."),
  EXPECTED_MEMBERS("expectedMembers", "--expected-members", "AKITA_EXPECTED_MEMBERS", "N", "1",
      "Cluster size the operator expects; a leader acts only while it sees a quorum (N/2+1)."),
  SLOTS("slots", "--slots", "AKITA_SLOTS", "N", null,
      "Tasks this node runs at once (default: 4 per CPU; 0 on a node without the worker role)."),
  PREFETCH("prefetch", "--prefetch", "AKITA_PREFETCH", "N", "2",
      "A worker accepts up to slots × N assignments; those beyond its slots wait on the node and start as soon "
          + "as a slot frees, without a round trip to the leader (1: no waiting, 1-64)."),
  HEARTBEAT_INTERVAL_MS("heartbeatIntervalMs", "--heartbeat-interval-ms", "AKITA_HEARTBEAT_INTERVAL_MS", "MS", "500",
      "How often the node announces itself to the cluster."),
  SUSPECT_AFTER_MS("suspectAfterMs", "--suspect-after-ms", "AKITA_SUSPECT_AFTER_MS", "MS", "2000",
      "A node not heard from for this long is SUSPECT."),
  OFFLINE_AFTER_MS("offlineAfterMs", "--offline-after-ms", "AKITA_OFFLINE_AFTER_MS", "MS", "4000",
      "A node not heard from for this long is OFFLINE (a node that leaves the cluster is OFFLINE at once)."),
  MEMBER_TIMEOUT_MS("memberTimeoutMs", "--member-timeout-ms", "AKITA_MEMBER_TIMEOUT_MS", "MS", "5000",
      "Hazelcast removes a member it has had no heartbeat from for this long (whole seconds, at least 2000)."),
  AGING_MS("agingMs", "--aging-ms", "AKITA_AGING_MS", "MS", "10000",
      "A queued task gains one priority level per this much waiting, so low priority work is never starved."),
  FAIR_SHARE_QUANTUM_MS("fairShareQuantumMs", "--fair-share-quantum-ms", "AKITA_FAIR_SHARE_QUANTUM_MS", "MS", "0",
      "Per-submitter fair share: each submitter's queued tasks are spaced this far apart in queue time, so "
          + "submitters of equal priority take turns (0: off, plain FIFO)."),
  PLACEMENT_WEIGHTS("placementWeights", "--placement-weights", "AKITA_PLACEMENT_WEIGHTS", "NAME=W,...",
      "rtt=1,load=1,queue=1,reliability=2,cpu=0.5,affinity=1",
      "Weights of the placement score (lower is better): rtt (per 10 ms), load, queue, reliability, cpu, affinity."),
  PLUGINS_DIR("pluginsDir", "--plugins-dir", "AKITA_PLUGINS_DIR", "DIR", null,
      "Folder of plugin jars (default: plugins/ next to platform.jar)."),
  PLUGINS_SCAN_MS("pluginsScanMs", "--plugins-scan-ms", "AKITA_PLUGINS_SCAN_MS", "MS", "2000",
      "How often the plugins folder is checked for added, replaced or removed jars (0: only at start)."),
  MAX_PLUGIN_BYTES("maxPluginBytes", "--max-plugin-bytes", "AKITA_MAX_PLUGIN_BYTES", "BYTES", "67108864",
      "Largest plugin jar the API accepts for a cluster-wide deploy."),
  API_KEYS("validApiKeys", null, "AKITA_VALID_API_KEYS", "KEY,...", "",
      "API keys accepted in the API-key header; none configured leaves the API open. "
          + "Environment or config file only, so keys never show in a process list."),
  API_KEY_HEADER("apiKeyHeader", "--api-key-header", "AKITA_API_KEY_HEADER", "NAME", "X-API-Key",
      "HTTP header that carries the API key."),
  MAX_BODY_BYTES("maxBodyBytes", "--max-body-bytes", "AKITA_MAX_BODY_BYTES", "BYTES", "1048576",
      "Largest request body the API accepts (larger ones get 413)."),
  SHUTDOWN_TIMEOUT_MS("shutdownTimeoutMs", "--shutdown-timeout-ms", "AKITA_SHUTDOWN_TIMEOUT_MS", "MS", "30000",
      "How long a graceful shutdown waits for running work before it stops anyway."),
  TASK_RETENTION_MS("taskRetentionMs", "--task-retention-ms", "AKITA_TASK_RETENTION_MS", "MS", "3600000",
      "Finished tasks stay in the leader's memory and the cluster map this long, then only in the SQLite "
          + "mirror (still readable, and their idempotency keys still honoured)."),
  TASK_RETENTION_MAX("taskRetentionMax", "--task-retention-max", "AKITA_TASK_RETENTION_MAX", "N", "50000",
      "At most this many finished tasks stay in the leader's memory and the cluster map (the oldest leave first, "
          + "to the SQLite mirror), whatever --task-retention-ms says: bounds the leader's memory under load."),
  LEDGER_MAX_AGE_MS("ledgerMaxAgeMs", "--ledger-max-age-ms", "AKITA_LEDGER_MAX_AGE_MS", "MS", "0",
      "Ledger entries older than this are pruned, leaving a signed checkpoint (0: keep them all)."),
  LEDGER_MAX_ENTRIES("ledgerMaxEntries", "--ledger-max-entries", "AKITA_LEDGER_MAX_ENTRIES", "N", "0",
      "The ledger keeps at most this many entries; older ones are pruned, leaving a signed checkpoint "
          + "(0: no limit)."),
  RESOURCES_INTERVAL_MS("resourcesIntervalMs", "--resources-interval-ms", "AKITA_RESOURCES_INTERVAL_MS", "MS", "2000",
      "How often the node samples CPU, load, memory, swap, disks, network, file descriptors and heap (100-3600000)."),
  RESOURCES_HISTORY("resourcesHistory", "--resources-history", "AKITA_RESOURCES_HISTORY", "N", "300",
      "How many resource samples the node keeps for charts, newest last (1-10000; 300 at 2 s is 10 minutes)."),
  LOG_FORMAT("logFormat", "--log-format", "AKITA_LOG_FORMAT", "text|json", "text",
      "Console log format: readable lines or one JSON object per line."),
  LOG_LEVEL("logLevel", "--log-level", "AKITA_LOG_LEVEL", "LEVEL", "INFO",
      "Least severe level logged: TRACE, DEBUG, INFO, WARN or ERROR.");

  private final String key;
  private final String flag;
  private final String env;
  private final String label;
  private final String defaultValue;
  private final String description;

  ConfigOption(String key, String flag, String env, String label, String defaultValue, String description) {
    this.key = key;
    this.flag = flag;
    this.env = env;
    this.label = label;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  /** @return the key in the JSON config file */
  public String key() {
    return key;
  }

  /** @return the command-line flag, or {@code null} for options that are never given on the command line */
  public String flag() {
    return flag;
  }

  /** @return the environment variable */
  public String env() {
    return env;
  }

  /** @return the parameter label shown in help */
  public String label() {
    return label;
  }

  /** @return the default as text, or {@code null} when the default is computed at start */
  public String defaultValue() {
    return defaultValue;
  }

  /** @return the help text */
  public String description() {
    return description;
  }

  /** @return how error messages name this option: its flag, or its file key when it has none */
  public String displayName() {
    return flag != null ? flag : key;
  }
}
