package akita.node.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Resolves every {@link ConfigOption} with the precedence flag &gt; environment variable &gt; config file &gt;
 * default, then validates the result into a {@link NodeConfig}. Nothing starts before this succeeds; a
 * problem raises a {@link ConfigException} that names the option, where the value came from, and what is
 * wrong with it.
 */
public final class ConfigLoader {

  /** The config file read when neither {@code --config} nor {@code AKITA_CONFIG} names one. */
  public static final Path DEFAULT_CONFIG_FILE = Path.of("conf", "akita.json");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Pattern CAPABILITY = Pattern.compile("[a-z0-9][a-z0-9._:-]{0,62}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:-]{1,253}");
  private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final Pattern API_KEY = Pattern.compile("[\\x21-\\x7e&&[^,]]{16,256}");
  private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

  private final Map<ConfigOption, String> flags;
  private final Map<String, String> env;
  private final Path defaultPluginsDir;
  private JsonObject file = new JsonObject();
  private Path filePath;

  private ConfigLoader(Map<ConfigOption, String> flags, Map<String, String> env, Path defaultPluginsDir) {
    this.flags = flags;
    this.env = env;
    this.defaultPluginsDir = defaultPluginsDir;
  }

  /**
   * Loads and validates a node's configuration.
   *
   * @param flags values given on the command line (absent options are missing from the map)
   * @param env the environment, usually {@code System.getenv()}
   * @param defaultPluginsDir the plugins folder used when none is configured
   * @return the validated configuration
   * @throws ConfigException naming the first invalid option
   */
  public static NodeConfig load(Map<ConfigOption, String> flags, Map<String, String> env, Path defaultPluginsDir) {
    ConfigLoader loader = new ConfigLoader(flags, env, defaultPluginsDir);
    loader.readFile();
    return loader.build();
  }

  private void readFile() {
    Value named = fromFlagOrEnv(ConfigOption.CONFIG);
    Path path;
    if (named != null) {
      path = path(ConfigOption.CONFIG, named);
      if (!Files.isRegularFile(path)) {
        throw invalid(ConfigOption.CONFIG, named, "the file " + path + " does not exist or is not a file");
      }
    } else if (Files.isRegularFile(DEFAULT_CONFIG_FILE)) {
      path = DEFAULT_CONFIG_FILE;
    } else {
      return;
    }
    String text;
    try {
      text = Files.readString(path);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + path + ": " + e.getMessage());
    }
    try {
      file = new JsonObject(text);
    } catch (DecodeException e) {
      throw new ConfigException("config file " + path + " is not a JSON object: " + firstLine(e.getMessage()));
    }
    Set<String> known = Arrays.stream(ConfigOption.values()).map(ConfigOption::key).collect(Collectors.toSet());
    for (String key : file.fieldNames()) {
      if (!known.contains(key) || key.equals(ConfigOption.CONFIG.key())) {
        throw new ConfigException("config file " + path + " has an unknown key '" + key + "'; known keys: "
            + Arrays.stream(ConfigOption.values()).filter(o -> o != ConfigOption.CONFIG)
                .map(ConfigOption::key).collect(Collectors.joining(", ")));
      }
    }
    filePath = path;
  }

  private NodeConfig build() {
    String nodeName = optionalName(ConfigOption.NODE_NAME);
    String clusterName = name(ConfigOption.CLUSTER_NAME);
    Set<String> capabilities = capabilities();
    Set<Role> roles = roles();
    int expected = intIn(ConfigOption.EXPECTED_MEMBERS, 1, 1000, "a member count");
    int slots;
    if (resolve(ConfigOption.SLOTS) == null) {
      slots = roles.contains(Role.WORKER) ? 4 * Runtime.getRuntime().availableProcessors() : 0;
    } else {
      slots = intIn(ConfigOption.SLOTS, 0, 10_000, "a number of task slots");
    }
    int prefetch = intIn(ConfigOption.PREFETCH, 1, 64, "a multiple of the slots");
    NodeConfig.Health health = health();
    long agingMs = longIn(ConfigOption.AGING_MS, 1, 86_400_000, "a duration in milliseconds");
    long quantumMs = longIn(ConfigOption.FAIR_SHARE_QUANTUM_MS, 0, 60_000, "a duration in milliseconds");
    long retentionMs = longIn(ConfigOption.TASK_RETENTION_MS, 1_000, 30L * 24 * 3_600_000,
        "a duration in milliseconds");
    int retentionMax = intIn(ConfigOption.TASK_RETENTION_MAX, 0, 10_000_000, "a number of finished tasks");
    Map<String, Double> weights = weights();

    NodeConfig.Api api = new NodeConfig.Api(
        host(ConfigOption.API_HOST),
        intIn(ConfigOption.API_PORT, 0, 65535, "a port number"),
        apiKeys(),
        header(ConfigOption.API_KEY_HEADER),
        longIn(ConfigOption.MAX_BODY_BYTES, 1024, 1L << 30, "a size in bytes"),
        longIn(ConfigOption.MAX_PLUGIN_BYTES, 1024, 1L << 31, "a size in bytes"));

    NodeConfig.Cluster cluster = new NodeConfig.Cluster(
        host(ConfigOption.BIND_HOST),
        intIn(ConfigOption.HZ_PORT, 1, 65535, "a port number"),
        intIn(ConfigOption.BUS_PORT, 0, 65535, "a port number"),
        members());

    Path dataDir = path(ConfigOption.DATA_DIR, resolve(ConfigOption.DATA_DIR));
    Value pluginsValue = resolve(ConfigOption.PLUGINS_DIR);
    Path pluginsDir = pluginsValue == null ? defaultPluginsDir : path(ConfigOption.PLUGINS_DIR, pluginsValue);
    long scanMs = longIn(ConfigOption.PLUGINS_SCAN_MS, 0, 3_600_000, "a duration in milliseconds");
    long shutdownMs = longIn(ConfigOption.SHUTDOWN_TIMEOUT_MS, 0, 3_600_000, "a duration in milliseconds");
    NodeConfig.Ledger ledger = new NodeConfig.Ledger(
        longIn(ConfigOption.LEDGER_MAX_AGE_MS, 0, Long.MAX_VALUE / 2, "a duration in milliseconds"),
        longIn(ConfigOption.LEDGER_MAX_ENTRIES, 0, Long.MAX_VALUE / 2, "a number of entries"));

    Value format = resolve(ConfigOption.LOG_FORMAT);
    String f = format.raw.trim().toLowerCase(Locale.ROOT);
    if (!f.equals("text") && !f.equals("json")) {
      throw invalid(ConfigOption.LOG_FORMAT, format, "must be 'text' or 'json'");
    }
    Value level = resolve(ConfigOption.LOG_LEVEL);
    String l = level.raw.trim().toUpperCase(Locale.ROOT);
    if (!LEVELS.contains(l)) {
      throw invalid(ConfigOption.LOG_LEVEL, level, "must be one of TRACE, DEBUG, INFO, WARN, ERROR");
    }
    NodeConfig.Resources resources = new NodeConfig.Resources(
        longIn(ConfigOption.RESOURCES_INTERVAL_MS, 100, 3_600_000, "a duration in milliseconds"),
        intIn(ConfigOption.RESOURCES_HISTORY, 1, 10_000, "a number of samples"));
    return new NodeConfig(nodeName, clusterName, capabilities, roles, expected, slots, prefetch, health, agingMs,
        quantumMs, retentionMs, retentionMax, weights, api, cluster, dataDir, pluginsDir, scanMs, shutdownMs, ledger, new NodeConfig.Log(f.equals("json"), l),
        resources, filePath);
  }

  // ---- resolution -------------------------------------------------------------------------------------

  /** A raw value and where it came from, for error messages. */
  private record Value(String raw, String source) {
  }

  private Value fromFlagOrEnv(ConfigOption o) {
    String flag = flags.get(o);
    if (flag != null) {
      return new Value(flag, "from " + o.flag());
    }
    String e = env.get(o.env());
    if (e != null && !e.isEmpty()) {
      return new Value(e, "from environment variable " + o.env());
    }
    return null;
  }

  private Value resolve(ConfigOption o) {
    Value v = fromFlagOrEnv(o);
    if (v != null) {
      return v;
    }
    if (file.containsKey(o.key())) {
      Object raw = file.getValue(o.key());
      String source = "from '" + o.key() + "' in " + filePath;
      if (raw instanceof JsonArray array) {
        List<String> items = new ArrayList<>();
        for (Object item : array) {
          if (!(item instanceof String) && !(item instanceof Number)) {
            throw new ConfigException("invalid " + o.displayName() + " (" + source + "): list items must be "
                + "strings or numbers");
          }
          items.add(String.valueOf(item));
        }
        return new Value(String.join(",", items), source);
      }
      if (raw instanceof String || raw instanceof Number || raw instanceof Boolean) {
        return new Value(String.valueOf(raw), source);
      }
      throw new ConfigException("invalid " + o.displayName() + " (" + source + "): must be a string, a number "
          + "or a list, not " + (raw == null ? "null" : "an object"));
    }
    return o.defaultValue() == null ? null : new Value(o.defaultValue(), "default");
  }

  private static ConfigException invalid(ConfigOption o, Value v, String problem) {
    return new ConfigException("invalid " + o.displayName() + " (" + v.source + "): '" + v.raw + "' " + problem);
  }

  // ---- typed parsers ----------------------------------------------------------------------------------

  private String optionalName(ConfigOption o) {
    Value v = resolve(o);
    return v == null ? null : checkName(o, v);
  }

  private String name(ConfigOption o) {
    return checkName(o, resolve(o));
  }

  private static String checkName(ConfigOption o, Value v) {
    String s = v.raw.trim();
    if (!NAME.matcher(s).matches()) {
      throw invalid(o, v, "is not a valid name: use 1-63 letters, digits, '.', '_' or '-', starting with a "
          + "letter or digit");
    }
    return s;
  }

  private String host(ConfigOption o) {
    Value v = resolve(o);
    String s = v.raw.trim();
    if (!HOST.matcher(s).matches()) {
      throw invalid(o, v, "is not a host name or IP address");
    }
    return s;
  }

  private String header(ConfigOption o) {
    Value v = resolve(o);
    String s = v.raw.trim();
    if (!HEADER.matcher(s).matches()) {
      throw invalid(o, v, "is not a valid HTTP header name");
    }
    return s;
  }

  private int intIn(ConfigOption o, int min, int max, String what) {
    return (int) longIn(o, min, max, what);
  }

  private long longIn(ConfigOption o, long min, long max, String what) {
    Value v = resolve(o);
    long n;
    try {
      n = Long.parseLong(v.raw.trim());
    } catch (NumberFormatException e) {
      throw invalid(o, v, "is not " + what + " (" + min + "-" + max + ")");
    }
    if (n < min || n > max) {
      throw invalid(o, v, "is out of range: " + what + " must be " + min + "-" + max);
    }
    return n;
  }

  private Path path(ConfigOption o, Value v) {
    String s = v.raw.trim();
    if (s.isEmpty()) {
      throw invalid(o, v, "is empty; give a folder or file path");
    }
    try {
      return Path.of(s);
    } catch (InvalidPathException e) {
      throw invalid(o, v, "is not a valid path: " + e.getReason());
    }
  }

  private static List<String> items(Value v) {
    List<String> out = new ArrayList<>();
    for (String part : v.raw.split(",", -1)) {
      String s = part.trim();
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  private Set<String> capabilities() {
    Value v = resolve(ConfigOption.CAPABILITIES);
    Set<String> caps = new LinkedHashSet<>();
    for (String c : items(v)) {
      if (!CAPABILITY.matcher(c).matches()) {
        throw invalid(ConfigOption.CAPABILITIES, v, "contains '" + c + "', which is not a capability: use "
            + "lowercase letters, digits, '.', '_', ':' or '-'");
      }
      caps.add(c);
    }
    return Collections.unmodifiableSet(caps);
  }

  private NodeConfig.Health health() {
    long interval = longIn(ConfigOption.HEARTBEAT_INTERVAL_MS, 50, 60_000, "a duration in milliseconds");
    long suspect = longIn(ConfigOption.SUSPECT_AFTER_MS, 100, 600_000, "a duration in milliseconds");
    long offline = longIn(ConfigOption.OFFLINE_AFTER_MS, 100, 3_600_000, "a duration in milliseconds");
    long member = longIn(ConfigOption.MEMBER_TIMEOUT_MS, 2_000, 600_000, "a duration in milliseconds");
    if (suspect <= interval) {
      throw invalid(ConfigOption.SUSPECT_AFTER_MS, resolve(ConfigOption.SUSPECT_AFTER_MS),
          "must be longer than --heartbeat-interval-ms (" + interval + ")");
    }
    if (offline <= suspect) {
      throw invalid(ConfigOption.OFFLINE_AFTER_MS, resolve(ConfigOption.OFFLINE_AFTER_MS),
          "must be longer than --suspect-after-ms (" + suspect + ")");
    }
    return new NodeConfig.Health(interval, suspect, offline, member);
  }

  private static final List<String> WEIGHTS = List.of("rtt", "load", "queue", "reliability", "cpu", "affinity");

  private Map<String, Double> weights() {
    ConfigOption o = ConfigOption.PLACEMENT_WEIGHTS;
    Map<String, Double> w = new java.util.LinkedHashMap<>();
    for (String part : items(new Value(o.defaultValue(), "default"))) {
      String[] kv = part.split("=");
      w.put(kv[0], Double.parseDouble(kv[1]));
    }
    Value v = resolve(o);
    for (String part : items(v)) {
      String[] kv = part.split("=", 2);
      if (kv.length != 2 || !WEIGHTS.contains(kv[0].trim())) {
        throw invalid(o, v, "contains '" + part + "'; give name=weight pairs with names " + WEIGHTS);
      }
      try {
        double d = Double.parseDouble(kv[1].trim());
        if (d < 0 || d > 1000 || Double.isNaN(d)) {
          throw new NumberFormatException();
        }
        w.put(kv[0].trim(), d);
      } catch (NumberFormatException e) {
        throw invalid(o, v, "gives '" + kv[1] + "' for " + kv[0] + "; a weight is a number from 0 to 1000");
      }
    }
    return java.util.Collections.unmodifiableMap(w);
  }

  private Set<Role> roles() {
    Value v = resolve(ConfigOption.ROLES);
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String r : items(v)) {
      try {
        roles.add(Role.valueOf(r.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw invalid(ConfigOption.ROLES, v, "contains '" + r + "'; roles are 'leader' and 'worker'");
      }
    }
    if (roles.isEmpty()) {
      throw invalid(ConfigOption.ROLES, v, "names no role; give leader, worker or both");
    }
    return Collections.unmodifiableSet(roles);
  }

  private List<String> apiKeys() {
    Value v = resolve(ConfigOption.API_KEYS);
    List<String> keys = items(v);
    for (int i = 0; i < keys.size(); i++) {
      if (!API_KEY.matcher(keys.get(i)).matches()) {
        // Never echo a key, not even an invalid one.
        throw new ConfigException("invalid " + ConfigOption.API_KEYS.env() + " (" + v.source + "): key #" + (i + 1)
            + " must be 16-256 printable characters without spaces or commas");
      }
    }
    return List.copyOf(new LinkedHashSet<>(keys));
  }

  private List<HostPort> members() {
    Value v = resolve(ConfigOption.MEMBERS);
    List<HostPort> out = new ArrayList<>();
    for (String m : items(v)) {
      HostPort hp = parseHostPort(m);
      if (hp == null) {
        throw invalid(ConfigOption.MEMBERS, v, "contains '" + m + "', which is not host:port (port 1-65535; "
            + "write IPv6 as [::1]:5701)");
      }
      out.add(hp);
    }
    return List.copyOf(out);
  }

  /**
   * Parses {@code host:port} or {@code [v6]:port}.
   *
   * @param s the text
   * @return the address, or {@code null} when {@code s} is not one
   */
  static HostPort parseHostPort(String s) {
    String host;
    String port;
    if (s.startsWith("[")) {
      int end = s.indexOf("]:");
      if (end < 0) {
        return null;
      }
      host = s.substring(1, end);
      port = s.substring(end + 2);
    } else {
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || s.indexOf(':') != colon) {
        return null;
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
    }
    if (!HOST.matcher(host).matches()) {
      return null;
    }
    try {
      int p = Integer.parseInt(port);
      return p >= 1 && p <= 65535 ? new HostPort(host, p) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /**
   * Collects the values the command line gave, for {@link #load}.
   *
   * @return an empty, mutable map to fill
   */
  public static Map<ConfigOption, String> newFlagMap() {
    return new EnumMap<>(ConfigOption.class);
  }
}
