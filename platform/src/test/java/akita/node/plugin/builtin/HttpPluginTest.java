package akita.node.plugin.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.api.task.TaskException;
import akita.node.plugin.PluginService;
import akita.node.testing.Plugins;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built http plugin, loaded by a real plugin service, making real requests to a Vert.x server on the
 * loopback interface.
 */
class HttpPluginTest {

  private static final int BIG_BODY_BYTES = 2_000_000;

  @TempDir
  Path dir;

  private Vertx vertx;
  private HttpServer server;
  private PluginService service;
  private String base;
  /** Completed when the slow route receives its request. */
  private final CompletableFuture<Void> slowArrived = new CompletableFuture<>();
  /** Completed when the connection of the slow route's request closes. */
  private final CompletableFuture<Void> slowClosed = new CompletableFuture<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(this::route).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + server.actualPort();
    service = Plugins.start(vertx, dir, Set.of(), Plugins.builtJar("http"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (service != null) {
      service.stop(1_000).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private void route(HttpServerRequest req) {
    switch (req.path()) {
      case "/echo" -> req.body().onSuccess(body -> {
        JsonObject headers = new JsonObject();
        req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
        req.response().putHeader("content-type", "application/json")
            .putHeader("X-Multi", List.<String>of("a", "b"))
            .end(new JsonObject().put("method", req.method().name()).put("headers", headers)
                .put("body", body.toString()).encode());
      });
      case "/status/500" -> req.response().setStatusCode(500).end("database is down");
      case "/status/404" -> req.response().setStatusCode(404).end("no such thing");
      case "/status/429" -> req.response().setStatusCode(429).end("slow down");
      case "/redirect" -> req.response().setStatusCode(302).putHeader("location", "/echo").end();
      case "/slow" -> {
        req.connection().closeHandler(v -> slowClosed.complete(null));
        slowArrived.complete(null);
        vertx.setTimer(5_000, id -> {
          if (!req.response().closed()) {
            req.response().end("late");
          }
        });
      }
      case "/big" -> req.response().end(Buffer.buffer("x".repeat(BIG_BODY_BYTES)));
      case "/utf8" -> req.response().end("grüße"); // ü and ß are two bytes each
      default -> req.response().setStatusCode(400).end("unknown route " + req.path());
    }
  }

  /** Verifies the plugin loads and offers the http task type. */
  @Test
  void offersTheHttpType() {
    assertEquals(List.of("http"), service.taskTypes());
  }

  /** Verifies a POST with a JSON body and headers reaches the server as sent, and the response comes back. */
  @Test
  void sendsJsonBodyAndHeaders() throws Exception {
    JsonObject sent = new JsonObject().put("hello", "world").put("n", 1);
    JsonObject r = run(new JsonObject().put("method", "POST").put("url", base + "/echo?x=1")
        .put("headers", new JsonObject().put("X-Test", "yes")).put("body", sent));
    assertEquals(200, r.getInteger("status"));
    assertEquals("OK", r.getString("statusMessage"));
    assertFalse(r.getBoolean("bodyTruncated"));
    assertTrue(r.getLong("durationMs") >= 0, r.encode());
    JsonObject headers = r.getJsonObject("headers");
    assertEquals("application/json", headers.getString("content-type"));
    assertEquals("a, b", headers.getString("x-multi"), "repeated headers are joined");
    JsonObject echo = new JsonObject(r.getString("body"));
    assertEquals("POST", echo.getString("method"));
    assertEquals(sent, new JsonObject(echo.getString("body")));
    assertEquals("yes", echo.getJsonObject("headers").getString("x-test"));
    assertEquals("application/json", echo.getJsonObject("headers").getString("content-type"));
  }

  /** Verifies a string body is sent as given, with the content type the headers name; GET is the default. */
  @Test
  void sendsStringBodyAndDefaultsToGet() throws Exception {
    JsonObject r = run(new JsonObject().put("method", "put").put("url", base + "/echo")
        .put("headers", new JsonObject().put("Content-Type", "text/plain; charset=utf-8")).put("body", "grüße"));
    JsonObject echo = new JsonObject(r.getString("body"));
    assertEquals("PUT", echo.getString("method"));
    assertEquals("grüße", echo.getString("body"));
    assertEquals("text/plain; charset=utf-8", echo.getJsonObject("headers").getString("content-type"));
    assertEquals("GET", new JsonObject(run(new JsonObject().put("url", base + "/echo")).getString("body"))
        .getString("method"));
  }

  /** Verifies HEAD returns the status and headers with an empty body. */
  @Test
  void headHasNoBody() throws Exception {
    JsonObject r = run(new JsonObject().put("method", "HEAD").put("url", base + "/echo"));
    assertEquals(200, r.getInteger("status"));
    assertEquals("", r.getString("body"));
  }

  /** Verifies a redirect is followed by default, and returned as the result when following is off. */
  @Test
  void followsRedirectsUnlessTold() throws Exception {
    JsonObject followed = run(new JsonObject().put("url", base + "/redirect"));
    assertEquals(200, followed.getInteger("status"));
    assertEquals("GET", new JsonObject(followed.getString("body")).getString("method"));
    JsonObject notFollowed = run(new JsonObject().put("url", base + "/redirect").put("followRedirects", false));
    assertEquals(302, notFollowed.getInteger("status"), "3xx counts as success");
    assertEquals("/echo", notFollowed.getJsonObject("headers").getString("location"));
  }

  /** Verifies a 500 fails with a retryable EXECUTION_FAILED naming the status and quoting the body. */
  @Test
  void serverErrorIsRetryable() throws Exception {
    TaskException e = failure(new JsonObject().put("url", base + "/status/500"));
    assertEquals(TaskException.EXECUTION_FAILED, e.code());
    assertTrue(e.retryable());
    assertTrue(e.getMessage().contains("500"), e.getMessage());
    assertTrue(e.getMessage().contains("database is down"), e.getMessage());
  }

  /** Verifies a 404 fails without retries, and a 429 is retryable. */
  @Test
  void clientErrorsAreNotRetryableExceptTooManyRequests() throws Exception {
    TaskException notFound = failure(new JsonObject().put("url", base + "/status/404"));
    assertEquals(TaskException.EXECUTION_FAILED, notFound.code());
    assertFalse(notFound.retryable());
    assertTrue(notFound.getMessage().contains("404"), notFound.getMessage());
    assertTrue(notFound.getMessage().contains("no such thing"), notFound.getMessage());
    TaskException tooMany = failure(new JsonObject().put("url", base + "/status/429"));
    assertEquals(TaskException.EXECUTION_FAILED, tooMany.code());
    assertTrue(tooMany.retryable());
  }

  /** Verifies expectStatus replaces the default: a listed 404 succeeds, an unlisted 200 fails. */
  @Test
  void expectStatusDecidesSuccess() throws Exception {
    JsonObject r = run(new JsonObject().put("url", base + "/status/404").put("expectStatus",
        new JsonArray().add(404).add(410)));
    assertEquals(404, r.getInteger("status"));
    assertEquals("no such thing", r.getString("body"));
    TaskException e = failure(new JsonObject().put("url", base + "/echo").put("expectStatus",
        new JsonArray().add(201)));
    assertEquals(TaskException.EXECUTION_FAILED, e.code());
    assertFalse(e.retryable());
    assertTrue(e.getMessage().contains("200"), e.getMessage());
  }

  /** Verifies a body past maxBodyBytes is cut off and flagged, quickly, and the default cap is 1 MiB. */
  @Test
  void truncatesLongBodies() throws Exception {
    long begun = System.nanoTime();
    JsonObject r = run(new JsonObject().put("url", base + "/big").put("maxBodyBytes", 1000));
    assertEquals(200, r.getInteger("status"));
    assertEquals("x".repeat(1000), r.getString("body"));
    assertTrue(r.getBoolean("bodyTruncated"));
    JsonObject full = run(new JsonObject().put("url", base + "/big"));
    assertEquals(1 << 20, full.getString("body").length());
    assertTrue(full.getBoolean("bodyTruncated"));
    JsonObject fits = run(new JsonObject().put("url", base + "/big").put("maxBodyBytes", BIG_BODY_BYTES));
    assertEquals(BIG_BODY_BYTES, fits.getString("body").length());
    assertFalse(fits.getBoolean("bodyTruncated"));
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun) < 3_000);
  }

  /** Verifies a character the cap cuts in two is dropped rather than turned into a replacement character. */
  @Test
  void truncationKeepsWholeCharacters() throws Exception {
    JsonObject r = run(new JsonObject().put("url", base + "/utf8").put("maxBodyBytes", 3));
    assertEquals("gr", r.getString("body"));
    assertTrue(r.getBoolean("bodyTruncated"));
  }

  /** Verifies timeoutMs fails a slow exchange with TIMEOUT, soon, and closes its connection. */
  @Test
  void timesOut() throws Exception {
    long begun = System.nanoTime();
    TaskException e = failure(new JsonObject().put("url", base + "/slow").put("timeoutMs", 300));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun);
    assertEquals(TaskException.TIMEOUT, e.code());
    assertTrue(e.retryable());
    assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
    assertTrue(tookMs >= 250 && tookMs < 2_500, "took " + tookMs + " ms");
    slowClosed.get(2, TimeUnit.SECONDS);
  }

  /** Verifies the attempt's deadline bounds the exchange when the payload gives no timeout. */
  @Test
  void deadlineIsTheDefaultTimeout() throws Exception {
    long begun = System.nanoTime();
    TaskException e = failure(service.run(Plugins.spec("http", new JsonObject().put("url", base + "/slow"),
        Duration.ofMillis(400)), p -> { }).result());
    assertEquals(TaskException.TIMEOUT, e.code());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun) < 2_500);
  }

  /** Verifies cancelling the attempt resets the request at once and fails with CANCELLED. */
  @Test
  void cancellationResetsTheRequest() throws Exception {
    PluginService.Running running = service.run(Plugins.spec("http", new JsonObject().put("url", base + "/slow"),
        Duration.ofSeconds(30)), p -> { });
    slowArrived.get(3, TimeUnit.SECONDS);
    long begun = System.nanoTime();
    running.context().cancel("test");
    TaskException e = failure(running.result());
    assertEquals(TaskException.CANCELLED, e.code());
    assertFalse(e.retryable());
    assertTrue(e.getMessage().contains("test"), e.getMessage());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun) < 2_000);
    slowClosed.get(2, TimeUnit.SECONDS);
  }

  /** Verifies unloading the plugin cancels a request in flight and closes its connection. */
  @Test
  void stoppingThePluginCancelsRequests() throws Exception {
    PluginService.Running running = service.run(Plugins.spec("http", new JsonObject().put("url", base + "/slow"),
        Duration.ofSeconds(30)), p -> { });
    slowArrived.get(3, TimeUnit.SECONDS);
    service.stop(100).toCompletionStage().toCompletableFuture().get(3, TimeUnit.SECONDS);
    service = null;
    assertEquals(TaskException.CANCELLED, failure(running.result()).code());
    slowClosed.get(2, TimeUnit.SECONDS);
  }

  /** Verifies a port nobody listens on fails with a retryable UNAVAILABLE. */
  @Test
  void connectionRefusedIsUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    TaskException e = failure(new JsonObject().put("url", "http://127.0.0.1:" + port + "/"));
    assertEquals(TaskException.UNAVAILABLE, e.code());
    assertTrue(e.retryable());
    assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
  }

  /** Verifies each malformed payload is refused with INVALID_PAYLOAD and a message naming the field. */
  @Test
  void invalidPayloadsNameTheField() throws Exception {
    String url = base + "/echo";
    Map<JsonObject, String> cases = new LinkedHashMap<>();
    cases.put(new JsonObject(), "url is required");
    cases.put(new JsonObject().put("url", 5), "url must be a string");
    cases.put(new JsonObject().put("url", "ftp://127.0.0.1/file"), "url must be an absolute http or https URL");
    cases.put(new JsonObject().put("url", "/relative"), "url must be an absolute http or https URL");
    cases.put(new JsonObject().put("url", "http://bad host/"), "url is not a valid URL");
    cases.put(new JsonObject().put("url", "http://user:secret@127.0.0.1/"), "url must not contain credentials");
    cases.put(new JsonObject().put("url", url).put("method", "FETCH"), "method must be one of");
    cases.put(new JsonObject().put("url", url).put("method", 1), "method must be a string");
    cases.put(new JsonObject().put("url", url).put("headers", new JsonObject().put("X-N", 1)),
        "headers.X-N must be a string");
    cases.put(new JsonObject().put("url", url).put("headers", "X-N: 1"), "headers must be an object");
    cases.put(new JsonObject().put("url", url).put("headers", new JsonObject().put("X-N", "a\r\nX-Evil: 1")),
        "headers.X-N must not contain CR");
    cases.put(new JsonObject().put("url", url).put("headers", new JsonObject().put("bad name", "x")),
        "'bad name' is not a valid header name");
    cases.put(new JsonObject().put("url", url).put("body", 5), "body must be a string, or an object or array");
    cases.put(new JsonObject().put("url", url).put("timeoutMs", 0), "timeoutMs must be");
    cases.put(new JsonObject().put("url", url).put("maxBodyBytes", (16 << 20) + 1), "maxBodyBytes must be");
    cases.put(new JsonObject().put("url", url).put("expectStatus", 200), "expectStatus must be");
    cases.put(new JsonObject().put("url", url).put("expectStatus", new JsonArray().add(999)), "expectStatus[0]");
    cases.put(new JsonObject().put("url", url).put("followRedirects", "yes"), "followRedirects must be");
    cases.put(new JsonObject().put("url", url).put("timeout", 5), "unknown field 'timeout'");
    for (Map.Entry<JsonObject, String> c : cases.entrySet()) {
      TaskException e = failure(c.getKey());
      assertEquals(TaskException.INVALID_PAYLOAD, e.code(), c.getKey().encode());
      assertFalse(e.retryable(), c.getKey().encode());
      assertTrue(e.getMessage().contains(c.getValue()), c.getKey().encode() + " -> " + e.getMessage());
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------------

  private JsonObject run(JsonObject payload) throws Exception {
    return service.run(Plugins.spec("http", payload, Duration.ofSeconds(30)), p -> { }).result()
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private TaskException failure(JsonObject payload) {
    return failure(service.run(Plugins.spec("http", payload, Duration.ofSeconds(30)), p -> { }).result());
  }

  private static TaskException failure(Future<JsonObject> result) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> result.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
    return assertInstanceOf(TaskException.class, e.getCause());
  }
}
