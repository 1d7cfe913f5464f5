package akita.node.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.config.ConfigOption;
import akita.node.testing.Http;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live event stream (SSE) read by a real HTTP client: order, filters, resume, keys, clean-up. */
@org.junit.jupiter.api.Timeout(120)
class EventStreamTest {

  private static final String KEY = "events-test-key-0123456789";
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  static Path dir;

  private static Node node;
  private static String api;

  /** One server-sent event. */
  record Event(long id, String type, JsonObject data) {
  }

  @BeforeAll
  static void startNode() throws Exception {
    Map<ConfigOption, String> flags = TestNodes.flags(dir.resolve("node"), TestNodes.uniqueCluster());
    node = TestNodes.start(flags, Map.of("AKITA_VALID_API_KEYS", KEY));
    api = "http://127.0.0.1:" + node.apiPort() + "/api/v1";
  }

  @AfterAll
  static void stopNode() throws Exception {
    TestNodes.stop(node);
  }

  /** An open stream, read on the caller's thread. */
  private static final class Reader implements AutoCloseable {
    private final InputStream body;
    private final BufferedReader lines;

    Reader(String query, String lastEventId) throws Exception {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api + "/events" + query)).header("X-API-Key", KEY)
          .header("Accept", "text/event-stream");
      if (lastEventId != null) {
        b.header("Last-Event-ID", lastEventId);
      }
      HttpResponse<InputStream> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
      body = r.body();
      lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    }

    /** @return the next event (comments skipped) */
    Event next() throws Exception {
      long id = -1;
      String type = null;
      StringBuilder data = new StringBuilder();
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.isEmpty()) {
          if (type != null) {
            return new Event(id, type, new JsonObject(data.toString()));
          }
          continue;
        }
        if (line.startsWith("id: ")) {
          id = Long.parseLong(line.substring(4));
        } else if (line.startsWith("event: ")) {
          type = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
      throw new AssertionError("the stream ended");
    }

    @Override
    public void close() throws Exception {
      body.close();
    }
  }

  private static String submitEcho() throws Exception {
    Http.Answer a = Http.post(api + "/tasks", new JsonObject().put("type", "echo").encode(), "X-API-Key", KEY,
        "Content-Type", "application/json");
    assertEquals(202, a.status(), a.body());
    return a.json().getString("id");
  }

  /** Verifies task transitions arrive in order, each task's from submit to completion, seq strictly rising. */
  @Test
  void deliversTaskTransitionsInOrder() throws Exception {
    try (Reader r = new Reader("?types=TASK_*", null)) {
      List<String> ids = List.of(submitEcho(), submitEcho(), submitEcho());
      Map<String, List<String>> seen = new HashMap<>();
      long last = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (ids.stream().anyMatch(id -> !seen.getOrDefault(id, List.of()).contains("TASK_COMPLETED"))) {
        assertTrue(System.nanoTime() < deadline, "not every task completed on the stream: " + seen);
        Event e = r.next();
        assertTrue(e.id() > last, "seq " + e.id() + " after " + last);
        last = e.id();
        assertTrue(e.type().startsWith("TASK_"), e.type());
        assertEquals(e.id(), e.data().getLong("seq"));
        seen.computeIfAbsent(e.data().getString("subject"), k -> new ArrayList<>()).add(e.type());
      }
      for (String id : ids) {
        assertEquals(List.of("TASK_SUBMITTED", "TASK_ASSIGNED", "TASK_ACKNOWLEDGED", "TASK_STARTED",
            "TASK_COMPLETED"), seen.get(id));
      }
    }
  }

  /** Verifies Last-Event-ID resumes with exactly the entries after it, then goes on live; subject filters. */
  @Test
  void resumesAfterLastEventId() throws Exception {
    String first = submitEcho();
    long mark;
    try (Reader r = new Reader("?subject=" + first, "0")) {
      Event e = r.next();
      assertEquals("TASK_SUBMITTED", e.type());
      mark = e.id();
    }
    String second = submitEcho();
    try (Reader r = new Reader("?types=TASK_SUBMITTED", String.valueOf(mark))) {
      Event e = r.next();
      assertTrue(e.id() > mark);
      // Replayed from the ledger: the next TASK_SUBMITTED after the mark is the second task's.
      assertEquals(second, e.data().getString("subject"));
      String third = submitEcho();
      Event live = r.next();
      assertEquals(third, live.data().getString("subject"));
      assertTrue(live.id() > e.id());
    }
  }

  /**
   * Verifies an entry the filter passes is sent even when an entry the filter skips follows it in the same
   * committed batch (the skipped one once moved the stream's position past the held one, which was then
   * dropped as a repeat). The batch is published as the ledger publishes its commits.
   */
  @Test
  void anEntryIsSentWhenASkippedOneFollowsItInTheSameBatch() throws Exception {
    String id = submitEcho();
    try (Reader r = new Reader("?types=TASK_SUBMITTED,TEST_HELD", "0")) {
      Event e;
      do {
        e = r.next(); // the replay, up to this task's submit: the stream is live after it
      } while (!id.equals(e.data().getString("subject")));
      long seq = 1_000_000_000L;
      node.vertx().eventBus().publish(akita.node.ledger.LedgerAddresses.COMMITTED, new JsonObject().put("entries",
          new io.vertx.core.json.JsonArray().add(wireEntry(seq, "TEST_HELD")).add(wireEntry(seq + 1, "TEST_SKIPPED"))));
      Event held = r.next();
      assertEquals("TEST_HELD", held.type());
      assertEquals(seq, held.id());
    }
  }

  /** @return an entry in the form the ledger publishes its commits in (time in epoch ms, data as JSON text) */
  private static JsonObject wireEntry(long seq, String type) {
    return new JsonObject().put("seq", seq).put("time", System.currentTimeMillis()).put("type", type)
        .put("nodeId", "n").put("subject", "s").put("term", 1L).put("data", "{}").put("prevHash", "0")
        .put("hash", "1");
  }

  /** Verifies a client without a key is refused, a bad filter is a 400, and closed streams are released. */
  @Test
  void refusesWithoutKeyAndValidates() throws Exception {
    Http.Answer noKey = Http.get(api + "/events");
    assertEquals(401, noKey.status());
    assertEquals("API_KEY_MISSING", noKey.errorCode());
    // The refusal is a security event in the ledger.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonObject refused;
    do {
      assertTrue(System.nanoTime() < until, "AUTH_FAILED was never recorded");
      Thread.sleep(20);
      refused = Http.get(api + "/ledger?type=AUTH_FAILED&limit=1", "X-API-Key", KEY).json();
    } while (refused.getJsonArray("entries").isEmpty());
    JsonObject data = refused.getJsonArray("entries").getJsonObject(0).getJsonObject("data");
    assertEquals("missing", data.getString("reason"));
    assertEquals("/api/v1/events", data.getString("path"));
    Http.Answer bad = Http.get(api + "/events?types=task_completed", "X-API-Key", KEY);
    assertEquals(400, bad.status());
    assertEquals("INVALID_PARAMETER", bad.errorCode());
    assertEquals(400, Http.get(api + "/events?after=-3", "X-API-Key", KEY).status());
    int before = EventStream.open();
    Reader r = new Reader("", null);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (EventStream.open() != before + 1) {
      assertTrue(System.nanoTime() < deadline);
      Thread.sleep(20);
    }
    r.close();
    while (EventStream.open() != before) {
      assertTrue(System.nanoTime() < deadline, "the closed stream was not released");
      Thread.sleep(20);
    }
  }
}
