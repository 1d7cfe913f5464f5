package akita.node.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  private static final Path PLUGINS = Path.of("plugins-default");

  @TempDir
  Path dir;

  private final Map<ConfigOption, String> flags = ConfigLoader.newFlagMap();
  private final Map<String, String> env = new HashMap<>();

  private NodeConfig load() {
    return ConfigLoader.load(flags, env, PLUGINS);
  }

  private Path file(String json) throws Exception {
    Path f = dir.resolve("akita.json");
    Files.writeString(f, json);
    flags.put(ConfigOption.CONFIG, f.toString());
    return f;
  }

  private String error() {
    return assertThrows(ConfigException.class, this::load).getMessage();
  }

  /** Verifies the defaults: loopback, port 8080, no members, an open API, plugins next to the jar. */
  @Test
  void defaults() {
    NodeConfig c = load();
    assertNull(c.nodeName());
    assertEquals("akita", c.clusterName());
    assertEquals("127.0.0.1", c.api().host());
    assertEquals(8080, c.api().port());
    assertFalse(c.api().secured());
    assertEquals("X-API-Key", c.api().apiKeyHeader());
    assertEquals("127.0.0.1", c.cluster().bindHost());
    assertEquals(5701, c.cluster().hzPort());
    assertEquals(List.of(), c.cluster().members());
    assertEquals(Path.of("data"), c.dataDir());
    assertEquals(PLUGINS, c.pluginsDir());
    assertEquals(Set.of(Role.LEADER, Role.WORKER), c.roles());
    assertEquals(1, c.expectedMembers());
    assertFalse(c.log().json());
    assertNull(c.configFile());
  }

  /** Verifies flag > environment > file > default, option by option. */
  @Test
  void precedence() throws Exception {
    file("{\"apiPort\": 9001, \"nodeName\": \"from-file\", \"clusterName\": \"file-cluster\","
        + " \"capabilities\": [\"gpu\", \"docker\"], \"dataDir\": \"file-data\"}");
    env.put("AKITA_API_PORT", "9002");
    env.put("AKITA_NODE_NAME", "from-env");
    flags.put(ConfigOption.API_PORT, "9003");

    NodeConfig c = load();
    assertEquals(9003, c.api().port(), "flag beats env and file");
    assertEquals("from-env", c.nodeName(), "env beats file");
    assertEquals("file-cluster", c.clusterName(), "file beats default");
    assertEquals(Set.of("gpu", "docker"), c.capabilities(), "file lists are read");
    assertEquals(Path.of("file-data"), c.dataDir());
    assertEquals(5701, c.cluster().hzPort(), "default when nobody sets it");
    assertTrue(c.configFile().endsWith("akita.json"));
  }

  /** Verifies the config file can be named by environment variable, and lists parse from every source. */
  @Test
  void configFromEnvAndLists() throws Exception {
    Path f = dir.resolve("other.json");
    Files.writeString(f, "{\"members\": [\"127.0.0.1:5801\", \"[::1]:5802\"], \"validApiKeys\": "
        + "[\"0123456789abcdef\"]}");
    env.put("AKITA_CONFIG", f.toString());
    env.put("AKITA_CAPABILITIES", "a, b ,c");
    NodeConfig c = load();
    assertEquals(List.of(new HostPort("127.0.0.1", 5801), new HostPort("::1", 5802)), c.cluster().members());
    assertEquals(Set.of("a", "b", "c"), c.capabilities());
    assertTrue(c.api().secured());
    assertFalse(c.api().toString().contains("0123456789abcdef"), "keys never printed");
  }

  /** Verifies that an empty environment variable counts as unset. */
  @Test
  void emptyEnvIsUnset() {
    env.put("AKITA_API_PORT", "");
    assertEquals(8080, load().api().port());
  }

  /** Verifies each invalid value names the option, where it came from and the problem. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "API_PORT|abc|--api-port|is not a port number",
      "API_PORT|70000|--api-port|out of range",
      "API_PORT|-1|--api-port|out of range",
      "HZ_PORT|0|--hz-port|out of range",
      "BUS_PORT|x|--bus-port|is not a port number",
      "NODE_NAME|bad name!|--node-name|is not a valid name",
      "CLUSTER_NAME|-x|--cluster-name|is not a valid name",
      "CAPABILITIES|gpu,Bad Cap|--capabilities|which is not a capability",
      "ROLES|leader,boss|--roles|roles are 'leader' and 'worker'",
      "ROLES|,|--roles|names no role",
      "API_HOST|not a host|--api-host|is not a host name",
      "MEMBERS|127.0.0.1|--members|which is not host:port",
      "MEMBERS|127.0.0.1:99999|--members|which is not host:port",
      "EXPECTED_MEMBERS|0|--expected-members|out of range",
      "MAX_BODY_BYTES|10|--max-body-bytes|out of range",
      "SHUTDOWN_TIMEOUT_MS|soon|--shutdown-timeout-ms|is not a duration",
      "LOG_FORMAT|xml|--log-format|must be 'text' or 'json'",
      "LOG_LEVEL|LOUD|--log-level|must be one of",
      "API_KEY_HEADER|X Key|--api-key-header|is not a valid HTTP header name",
      "DATA_DIR|' '|--data-dir|is empty",
      "RESOURCES_INTERVAL_MS|50|--resources-interval-ms|out of range",
      "RESOURCES_HISTORY|0|--resources-history|out of range"
  })
  void invalidFlag(String option, String value, String name, String problem) {
    flags.put(ConfigOption.valueOf(option), value);
    String msg = error();
    assertTrue(msg.startsWith("invalid " + name + " (from " + name + ")"), msg);
    assertTrue(msg.contains(problem), msg);
  }

  /** Verifies placement weights: defaults, partial overrides, and refusals. */
  @Test
  void placementWeights() {
    assertEquals(2.0, load().placementWeights().get("reliability"));
    flags.put(ConfigOption.PLACEMENT_WEIGHTS, "rtt=0, cpu=3");
    NodeConfig c = load();
    assertEquals(0.0, c.placementWeights().get("rtt"));
    assertEquals(3.0, c.placementWeights().get("cpu"));
    assertEquals(1.0, c.placementWeights().get("load"), "unnamed weights keep their defaults");
    flags.put(ConfigOption.PLACEMENT_WEIGHTS, "speed=1");
    assertTrue(error().contains("give name=weight pairs"));
    flags.put(ConfigOption.PLACEMENT_WEIGHTS, "rtt=-1");
    assertTrue(error().contains("a weight is a number from 0 to 1000"));
  }

  /** Verifies resource sampling's defaults (2 s, 300 samples) and that the environment sets both. */
  @Test
  void resources() {
    assertEquals(new NodeConfig.Resources(2_000, 300), load().resources());
    env.put("AKITA_RESOURCES_INTERVAL_MS", "250");
    env.put("AKITA_RESOURCES_HISTORY", "20");
    assertEquals(new NodeConfig.Resources(250, 20), load().resources());
  }

  /** Verifies an invalid environment variable is reported as coming from it. */
  @Test
  void invalidEnv() {
    env.put("AKITA_HZ_PORT", "five");
    String msg = error();
    assertTrue(msg.contains("--hz-port (from environment variable AKITA_HZ_PORT): 'five'"), msg);
  }

  /** Verifies an invalid file value is reported with its key and file. */
  @Test
  void invalidFileValue() throws Exception {
    file("{\"apiPort\": \"eighty\"}");
    String msg = error();
    assertTrue(msg.contains("--api-port (from 'apiPort' in"), msg);
    assertTrue(msg.contains("akita.json"), msg);
  }

  /** Verifies a short API key is refused without echoing it. */
  @Test
  void shortApiKey() {
    env.put("AKITA_VALID_API_KEYS", "longenoughkey-123456,short");
    String msg = error();
    assertTrue(msg.contains("key #2"), msg);
    assertFalse(msg.contains("short"), "the key itself is never echoed: " + msg);
  }

  /** Verifies the config-file failures: missing, not JSON, unknown key, object value. */
  @Test
  void badFiles() throws Exception {
    flags.put(ConfigOption.CONFIG, dir.resolve("missing.json").toString());
    assertTrue(error().contains("does not exist"));

    file("{not json");
    assertTrue(error().contains("is not a JSON object"));

    file("[1, 2]");
    assertTrue(error().contains("is not a JSON object"));

    file("{\"apiPrt\": 1}");
    String msg = error();
    assertTrue(msg.contains("unknown key 'apiPrt'") && msg.contains("apiPort"), msg);

    file("{\"apiPort\": {\"n\": 1}}");
    assertTrue(error().contains("must be a string, a number or a list"));

    file("{\"capabilities\": [{\"x\": 1}]}");
    assertTrue(error().contains("list items must be strings or numbers"));
  }

  /** Verifies member addresses parse, IPv6 included. */
  @Test
  void hostPorts() {
    assertEquals(new HostPort("h", 1), ConfigLoader.parseHostPort("h:1"));
    assertEquals(new HostPort("::1", 5701), ConfigLoader.parseHostPort("[::1]:5701"));
    assertEquals("[::1]:5701", new HostPort("::1", 5701).toString());
    assertNull(ConfigLoader.parseHostPort(":1"));
    assertNull(ConfigLoader.parseHostPort("::1:5701"));
    assertNull(ConfigLoader.parseHostPort("h:0"));
    assertNull(ConfigLoader.parseHostPort("[::1]5701"));
  }
}
