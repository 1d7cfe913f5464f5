package akita.node.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.NodeAddresses;
import akita.node.NodeContext;
import akita.node.cluster.ClusterAddresses;
import akita.node.plugin.PluginAddresses;
import akita.node.tasks.TaskGateway;
import akita.node.tasks.TaskSpec;
import akita.node.config.NodeConfig;
import akita.node.config.Role;
import akita.node.testing.Http;
import akita.node.testing.Http.Answer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The HTTP door on its own (no cluster): API keys, the error shape for every kind of failure, and the
 * OpenAPI document kept in step with the routes.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class ApiVerticleTest {

  private static final String KEY = "test-key-0123456789";
  private static Vertx vertx;
  private static ApiVerticle api;
  private static String base;
  private static final AtomicBoolean STOPPING = new AtomicBoolean();
  private static final CompletableFuture<JsonObject> SHUTDOWN = new CompletableFuture<>();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    vertx.eventBus().<JsonObject>localConsumer(NodeAddresses.SHUTDOWN, m -> SHUTDOWN.complete(m.body()));
    // Stand-in for the leadership service, at its real address: a lone node without quorum.
    vertx.eventBus().<JsonObject>localConsumer(ClusterAddresses.LEADER_STATE, m -> m.reply(new JsonObject()
        .put("leader", null).put("term", 0).put("isLeader", false)
        .put("quorum", new JsonObject().put("expected", 3).put("present", 1).put("needed", 2).put("ok", false))));
    // Stand-in for the plugin service.
    vertx.eventBus().<JsonObject>localConsumer(PluginAddresses.LOCAL, m -> m.reply(new JsonObject()
        .put("plugins", new io.vertx.core.json.JsonArray()).put("taskTypes", new io.vertx.core.json.JsonArray()
            .add("echo").add("noop")).put("capabilities", new io.vertx.core.json.JsonArray())));
    NodeConfig.Api cfg = new NodeConfig.Api("127.0.0.1", 0, List.of(KEY), "X-API-Key", 4096, 1 << 20);
    NodeContext node = new NodeContext("00000000-0000-0000-0000-000000000001", "n1", "c", "test",
        Set.of(Role.LEADER, Role.WORKER), Set.of("gpu"), System.currentTimeMillis(), 3,
        Path.of("data"));
    api = new ApiVerticle(cfg, node, new HealthProbe() {
      @Override
      public Future<JsonObject> checks() {
        return Future.succeededFuture(new JsonObject().put("database", new JsonObject().put("ok", true)));
      }

      @Override
      public boolean stopping() {
        return STOPPING.get();
      }
    }, new TaskGateway(vertx, TaskSpec.Limits.DEFAULT));
    vertx.deployVerticle(api).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + api.actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Answer get(String path) throws Exception {
    return Http.get(base + path, "X-API-Key", KEY);
  }

  /** Verifies /health is open even when keys are configured, and reports its checks. */
  @Test
  void healthIsOpen() throws Exception {
    Answer a = Http.get(base + "/health");
    assertEquals(200, a.status());
    assertEquals("UP", a.json().getString("status"));
    assertTrue(a.json().getJsonObject("checks").getJsonObject("database").getBoolean("ok"));
  }

  /** Verifies missing and wrong keys get 401 with distinct codes, and the right key gets through. */
  @Test
  void apiKeys() throws Exception {
    Answer missing = Http.get(base + "/api/v1/status");
    assertEquals(401, missing.status());
    assertEquals("API_KEY_MISSING", missing.errorCode());

    Answer wrong = Http.get(base + "/api/v1/status", "X-API-Key", "not-the-key-at-all");
    assertEquals(401, wrong.status());
    assertEquals("API_KEY_INVALID", wrong.errorCode());

    Answer right = get("/api/v1/status");
    assertEquals(200, right.status());
    JsonObject s = right.json();
    for (String field : List.of("nodeId", "name", "cluster", "version", "uptimeMs", "roles", "isLeader")) {
      assertTrue(s.containsKey(field), "status has " + field);
    }
    assertEquals("n1", s.getString("name"));
    assertEquals(3L, s.getLong("run"));
    assertTrue(s.getBoolean("apiSecured"));
    assertFalse(right.body().contains(KEY), "the key is never echoed");
  }

  /** Verifies unknown routes and wrong methods answer the JSON error shape. */
  @Test
  void unknownRouteAndMethod() throws Exception {
    Answer nope = get("/api/v1/no-such-thing");
    assertEquals(404, nope.status());
    assertEquals("NOT_FOUND", nope.errorCode());
    assertTrue(nope.contentType().startsWith("application/json"));

    Answer method = Http.method("DELETE", base + "/api/v1/status", "X-API-Key", KEY);
    assertEquals(405, method.status());
    assertEquals("METHOD_NOT_ALLOWED", method.errorCode());
  }

  /** Verifies bad bodies are refused with precise codes and start nothing. */
  @Test
  void badBodies() throws Exception {
    String url = base + "/api/v1/shutdown";
    Answer badJson = Http.post(url, "{\"reason\": ", "X-API-Key", KEY, "Content-Type", "application/json");
    assertEquals(400, badJson.status());
    assertEquals("INVALID_JSON", badJson.errorCode());

    Answer array = Http.post(url, "[1]", "X-API-Key", KEY, "Content-Type", "application/json");
    assertEquals("INVALID_JSON", array.errorCode());

    Answer wrongType = Http.post(url, "{\"reason\": 5}", "X-API-Key", KEY, "Content-Type", "application/json");
    assertEquals(400, wrongType.status());
    assertEquals("BAD_REQUEST", wrongType.errorCode());

    Answer text = Http.post(url, "stop", "X-API-Key", KEY, "Content-Type", "text/plain");
    assertEquals(415, text.status());
    assertEquals("UNSUPPORTED_MEDIA_TYPE", text.errorCode());

    Answer big = Http.post(url, "{\"reason\": \"" + "x".repeat(10_000) + "\"}", "X-API-Key", KEY,
        "Content-Type", "application/json");
    assertEquals(413, big.status());
    assertEquals("PAYLOAD_TOO_LARGE", big.errorCode());

    assertFalse(SHUTDOWN.isDone(), "no bad request started a shutdown");
    assertEquals(200, Http.get(base + "/health").status());
  }

  /** Verifies a leader-only request without a leader answers 503 NO_LEADER with the quorum in the message. */
  @Test
  void noLeaderMeans503() throws Exception {
    Answer a = Http.post(base + "/api/v1/nodes/n1/drain", "", "X-API-Key", KEY);
    assertEquals(503, a.status());
    assertEquals("NO_LEADER", a.errorCode());
    assertTrue(a.json().getJsonObject("error").getString("message").contains("1 of 3 expected members present"),
        a.body());
  }

  /** Verifies the logs endpoint validates its parameters and returns recent entries. */
  @Test
  void logs() throws Exception {
    org.slf4j.LoggerFactory.getLogger("akita.test").warn("a warning for the log buffer");
    Answer a = get("/api/v1/logs?limit=50&level=warn");
    assertEquals(200, a.status());
    assertTrue(a.body().contains("a warning for the log buffer"), a.body());
    assertEquals("INVALID_PARAMETER", get("/api/v1/logs?limit=0").errorCode());
    assertEquals("INVALID_PARAMETER", get("/api/v1/logs?limit=ten").errorCode());
    assertEquals("INVALID_PARAMETER", get("/api/v1/logs?level=LOUD").errorCode());
  }

  /** Verifies the console's page is served at /. */
  @Test
  void console() throws Exception {
    Answer a = Http.get(base + "/");
    assertEquals(200, a.status());
    assertTrue(a.contentType().startsWith("text/html"), a.contentType());
    assertTrue(a.body().contains("Akita Genesis"));
  }

  /** Verifies every API route is in the OpenAPI document and every documented operation is routed. */
  @Test
  void openApiMatchesRoutes() throws Exception {
    JsonObject doc = get("/api/v1/openapi.json").json();
    Set<String> documented = new TreeSet<>();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        documented.add(method.toUpperCase() + " " + path.replaceAll("\\{([^}]+)}", ":$1"));
      }
    }
    Set<String> routed = new TreeSet<>();
    for (Route r : api.routes()) {
      String path = r.getPath();
      if (path == null || r.methods() == null || r.methods().isEmpty() || path.equals("/")) {
        continue; // handlers for every request (body, auth) and the console's static files, not operations
      }
      r.methods().forEach(m -> routed.add(m.name() + " " + path));
    }
    assertEquals(routed, documented);
  }

  /** Verifies a valid shutdown request answers 202 and then asks the node to stop (last: it is final). */
  @Test
  void zzShutdown() throws Exception {
    Answer a = Http.post(base + "/api/v1/shutdown", "{\"reason\": \"test\"}", "X-API-Key", KEY,
        "Content-Type", "application/json");
    assertEquals(202, a.status());
    assertEquals("SHUTTING_DOWN", a.json().getString("status"));
    assertEquals("test", SHUTDOWN.get(10, TimeUnit.SECONDS).getString("reason"));
    STOPPING.set(true);
    Answer health = Http.get(base + "/health");
    assertEquals(503, health.status());
    assertEquals("STOPPING", health.json().getString("status"));
  }
}
