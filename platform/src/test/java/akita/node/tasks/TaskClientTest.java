package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.api.client.TaskClient;
import akita.api.client.TaskClient.TaskClientException;
import akita.node.boot.Node;
import akita.node.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin API's {@link TaskClient} against a real node in this JVM, and its reading of bus failures. */
class TaskClientTest {

  @TempDir
  static Path dir;

  private static Node node;
  private static TaskClient client;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.flags(dir, TestNodes.uniqueCluster()), Map.of());
    client = new TaskClient(node.vertx());
  }

  @AfterAll
  static void stop() throws Exception {
    TestNodes.stop(node);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static TaskClientException failure(Future<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(f));
    return assertInstanceOf(TaskClientException.class, e.getCause());
  }

  /** Submits, retrying while the node has not become the leader yet (503 NO_LEADER). */
  private static JsonObject submit(JsonObject task) throws Exception {
    long until = System.currentTimeMillis() + 30_000;
    while (true) {
      try {
        return await(client.submit(task));
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TaskClientException tce) || tce.status() != 503
            || System.currentTimeMillis() > until) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  @Test
  void anEchoTaskCompletesWithItsPayload() throws Exception {
    JsonObject payload = new JsonObject().put("hello", "world").put("n", 3);
    JsonObject submitted = submit(new JsonObject().put("type", "echo").put("payload", payload));
    assertEquals(Boolean.TRUE, submitted.getBoolean("created"));
    String id = submitted.getString("id");
    assertNotNull(id);

    JsonObject done = await(client.await(id, Duration.ofSeconds(30)));
    assertEquals("COMPLETED", done.getString("state"), done.encodePrettily());
    assertEquals(id, done.getString("id"));
    assertEquals(payload, done.getJsonObject("result"));

    // Once ended, awaiting answers at once, from the read.
    assertEquals("COMPLETED", await(client.await(id, Duration.ofSeconds(5))).getString("state"));
    JsonObject read = await(client.get(id));
    assertEquals("COMPLETED", read.getString("state"));
    // The end was reported as the leader stored it (JSON text); the client gives it the shape of a read.
    read.getMap().values().removeIf(java.util.Objects::isNull);
    assertEquals(read, done);

    JsonObject page = await(client.list(new JsonObject().put("type", "echo")));
    assertTrue(page.getJsonArray("tasks").stream().anyMatch(t -> id.equals(((JsonObject) t).getString("id"))),
        page.encodePrettily());
    assertNotNull(await(client.list(null)).getJsonArray("tasks"));

    TaskClientException finished = failure(client.cancel(id, "too late"));
    assertEquals(409, finished.status());
    assertEquals(TaskClientException.TASK_FINISHED, finished.code());
  }

  /** Verifies the JSON-text codec reads on the wire what it wrote, wherever the body sits in the message. */
  @Test
  void jsonTextCodecRoundTrips() {
    akita.api.client.JsonTextCodec codec = new akita.api.client.JsonTextCodec();
    String text = "{\"tasks\":[{\"id\":\"t-1\",\"x\":\"é ✓\"}]}";
    io.vertx.core.buffer.Buffer wire = io.vertx.core.buffer.Buffer.buffer().appendString("header");
    codec.encodeToWire(wire, io.vertx.core.buffer.Buffer.buffer(text));
    wire.appendString("trailer");
    assertEquals(new JsonObject(text), codec.decodeFromWire("header".length(), wire));
    assertEquals(new JsonObject(text), codec.transform(io.vertx.core.buffer.Buffer.buffer(text)));
  }

  @Test
  void anInvalidTaskIsRefusedWith400() throws Exception {
    submit(new JsonObject().put("type", "noop")); // waits for the leader, so the refusal below is the door's
    TaskClientException e = failure(client.submit(new JsonObject().put("type", "echo").put("priority", "high")));
    assertEquals(400, e.status());
    assertEquals(TaskClientException.INVALID_TASK, e.code());
    assertTrue(e.getMessage().contains("priority"), e.getMessage());
    assertEquals(new TaskClient.Error(400, "INVALID_TASK", e.getMessage()), e.error());

    TaskClientException missing = failure(client.submit(new JsonObject()));
    assertEquals(400, missing.status());
    assertTrue(missing.getMessage().contains("type"), missing.getMessage());
  }

  /** Verifies a batch: each item answered in order, a bad item refused alone, the others stored and run. */
  @Test
  void submitAllAnswersEachTaskInOrder() throws Exception {
    submit(new JsonObject().put("type", "noop"));
    java.util.List<JsonObject> out = await(client.submitAll(java.util.List.of(
        new JsonObject().put("type", "echo").put("payload", new JsonObject().put("n", 1)),
        new JsonObject().put("type", "echo").put("priority", "high"),
        new JsonObject().put("type", "echo").put("payload", new JsonObject().put("n", 3)))));
    assertEquals(3, out.size());
    assertEquals(400, out.get(1).getJsonObject("error").getInteger("status"));
    assertEquals("INVALID_TASK", out.get(1).getJsonObject("error").getString("code"));
    assertTrue(out.get(1).getJsonObject("error").getString("message").contains("priority"));
    for (int i : new int[] {0, 2}) {
      assertEquals(true, out.get(i).getBoolean("created"));
      JsonObject done = await(client.await(out.get(i).getString("id"), Duration.ofSeconds(30)));
      assertEquals("COMPLETED", done.getString("state"));
      assertEquals(i + 1, done.getJsonObject("result").getInteger("n"));
    }
    assertThrows(IllegalArgumentException.class, () -> client.submitAll(java.util.List.of()));
  }

  /**
   * Verifies that submits made in one turn of an event loop travel as one batch request (counted as they leave
   * on the event bus) and each caller still gets its own answer: its task, or its own refusal.
   */
  @Test
  void submitsInOneEventLoopTurnAreBatched() throws Exception {
    submit(new JsonObject().put("type", "noop"));
    Map<String, java.util.concurrent.atomic.AtomicInteger> sends = new java.util.concurrent.ConcurrentHashMap<>();
    io.vertx.core.Handler<io.vertx.core.eventbus.DeliveryContext<Object>> count = dc -> {
      sends.computeIfAbsent(dc.message().address(), a -> new java.util.concurrent.atomic.AtomicInteger())
          .incrementAndGet();
      dc.next();
    };
    node.vertx().eventBus().addOutboundInterceptor(count);
    java.util.concurrent.CompletableFuture<java.util.List<Future<JsonObject>>> sent =
        new java.util.concurrent.CompletableFuture<>();
    node.vertx().runOnContext(v -> {
      java.util.List<Future<JsonObject>> fs = new java.util.ArrayList<>();
      for (int i = 0; i < 20; i++) {
        fs.add(client.submit(i == 7 ? new JsonObject().put("type", "echo").put("maxAttempts", 0)
            : new JsonObject().put("type", "echo").put("payload", new JsonObject().put("i", i))));
      }
      sent.complete(fs);
    });
    java.util.List<Future<JsonObject>> fs = sent.get(10, TimeUnit.SECONDS);
    TaskClientException refused = failure(fs.get(7));
    node.vertx().eventBus().removeOutboundInterceptor(count);
    // One batch request, to the leader's node (and again to any node only if that found no handler yet).
    assertEquals(1, sends.get(TaskClient.SUBMIT_BATCH_AT_LEADER).get(), sends.toString());
    assertTrue(sends.get(TaskClient.SUBMIT_BATCH) == null || sends.get(TaskClient.SUBMIT_BATCH).get() == 1,
        sends.toString());
    assertEquals(null, sends.get(TaskClient.SUBMIT), "no single submits: " + sends);
    assertEquals(null, sends.get(TaskClient.SUBMIT_AT_LEADER), "no single submits: " + sends);
    assertEquals("INVALID_TASK", refused.code());
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (int i = 0; i < 20; i++) {
      if (i != 7) {
        JsonObject t = await(fs.get(i));
        assertEquals(i, t.getJsonObject("payload").getInteger("i"), "each caller gets its own task");
        ids.add(t.getString("id"));
      }
    }
    assertEquals(19, ids.size());
    for (String id : ids) {
      assertEquals("COMPLETED", await(client.await(id, Duration.ofSeconds(30))).getString("state"));
    }
  }

  /**
   * Verifies the client's route for submits: to the leader's node while one answers there; when none does (an
   * election), the same request to the address every node answers; and a failure from a handler that was
   * reached is the caller's, not sent again.
   */
  @Test
  void submitsGoToTheLeadersNodeAndElsewhereWhileNoneAnswers() throws Exception {
    Vertx local = Vertx.vertx();
    try {
      java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      local.eventBus().<JsonObject>consumer(TaskClient.SUBMIT, m -> {
        seen.add(TaskClient.SUBMIT);
        m.reply(new JsonObject().put("id", "t-any").put("created", true));
      });
      TaskClient c = new TaskClient(local);
      assertEquals("t-any", await(c.submit(new JsonObject().put("type", "noop"))).getString("id"));
      assertEquals(java.util.List.of(TaskClient.SUBMIT), seen, "no handler at the leader: any node");

      var door = local.eventBus().<JsonObject>consumer(TaskClient.SUBMIT_AT_LEADER, m -> {
        seen.add(TaskClient.SUBMIT_AT_LEADER);
        if (m.body().getString("type").equals("refused")) {
          m.fail(400, new JsonObject().put("code", "INVALID_TASK").put("message", "no").encode());
        } else {
          m.reply(new JsonObject().put("id", "t-leader").put("created", true));
        }
      });
      await(door.completion());
      seen.clear();
      assertEquals("t-leader", await(c.submit(new JsonObject().put("type", "noop"))).getString("id"));
      assertEquals(400, failure(c.submit(new JsonObject().put("type", "refused"))).status());
      assertEquals(java.util.List.of(TaskClient.SUBMIT_AT_LEADER, TaskClient.SUBMIT_AT_LEADER), seen,
          "the leader's node answers; a refusal there is not sent again elsewhere");
      c.close();
    } finally {
      local.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anUnknownIdIs404() throws Exception {
    submit(new JsonObject().put("type", "noop"));
    TaskClientException e = failure(client.get("no-such-task"));
    assertEquals(404, e.status());
    assertEquals(TaskClientException.TASK_NOT_FOUND, e.code());
    assertTrue(e.getMessage().contains("no-such-task"), e.getMessage());

    TaskClientException cancel = failure(client.cancel("no-such-task", null));
    assertEquals(404, cancel.status());
    assertEquals(TaskClientException.TASK_NOT_FOUND, cancel.code());

    // Awaiting a task that does not exist fails at once rather than at the timeout.
    long t0 = System.currentTimeMillis();
    TaskClientException awaited = failure(client.await("no-such-task", Duration.ofSeconds(30)));
    assertEquals(404, awaited.status());
    assertTrue(System.currentTimeMillis() - t0 < 10_000);
  }

  @Test
  void awaitTimesOutThenSeesTheCancel() throws Exception {
    String later = Instant.now().plus(Duration.ofHours(1)).toString();
    JsonObject submitted = submit(new JsonObject().put("type", "echo").put("notBefore", later));
    String id = submitted.getString("id");

    long t0 = System.currentTimeMillis();
    TaskClientException e = failure(client.await(id, Duration.ofMillis(600)));
    long took = System.currentTimeMillis() - t0;
    assertEquals(504, e.status());
    assertEquals(TaskClientException.TIMEOUT, e.code());
    assertTrue(e.getMessage().contains(id), e.getMessage());
    assertTrue(took >= 500 && took < 10_000, "took " + took + " ms");
    assertEquals("PENDING", await(client.get(id)).getString("state"), "giving up does not cancel the task");

    Future<JsonObject> waiting = client.await(id, Duration.ofSeconds(30));
    Thread.sleep(300);
    JsonObject cancelled = await(client.cancel(id, "not needed"));
    assertEquals("CANCELLED", cancelled.getString("state"));
    assertEquals("not needed", cancelled.getString("reason"));
    JsonObject ended = await(waiting);
    assertEquals("CANCELLED", ended.getString("state"), "a cancelled task has ended too");
  }

  @Test
  void noNodeOnTheBusIs503Unavailable() throws Exception {
    Vertx alone = Vertx.vertx();
    try {
      TaskClient lonely = new TaskClient(alone, Duration.ofSeconds(2));
      TaskClientException e = failure(lonely.get("x"));
      assertEquals(503, e.status());
      assertEquals(TaskClientException.UNAVAILABLE, e.code());
      assertInstanceOf(ReplyException.class, e.getCause());
    } finally {
      await(alone.close());
    }
  }

  @Test
  void readsBusFailures() {
    TaskClient.Error ours = TaskClient.Error.from(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 409,
        new JsonObject().put("code", "TASK_FINISHED").put("message", "ended").encode()));
    assertEquals(new TaskClient.Error(409, "TASK_FINISHED", "ended"), ours);
    assertEquals(new TaskClient.Error(503, "UNAVAILABLE", TaskClient.Error.from(new ReplyException(
        ReplyFailure.TIMEOUT, "t")).message()), TaskClient.Error.from(new ReplyException(ReplyFailure.TIMEOUT, "t")));
    assertEquals(503, TaskClient.Error.from(new ReplyException(ReplyFailure.NO_HANDLERS, "n")).status());
    assertEquals(new TaskClient.Error(418, "INTERNAL", "plain text"), TaskClient.Error.from(
        new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 418, "plain text")));
    assertEquals(new TaskClient.Error(500, "INTERNAL", "{broken"), TaskClient.Error.from(
        new ReplyException(ReplyFailure.RECIPIENT_FAILURE, -1, "{broken")));
    assertEquals(new TaskClient.Error(500, "INTERNAL", "boom"), TaskClient.Error.from(new IllegalStateException(
        "boom")));
    TaskClientException e = new TaskClientException(new TaskClient.Error(404, "TASK_NOT_FOUND", "no task"));
    assertEquals(e.error(), TaskClient.Error.from(e));
    assertTrue(e.toString().contains("404 TASK_NOT_FOUND: no task"), e.toString());
  }

  @Test
  void refusesProgrammingErrors() {
    assertThrows(NullPointerException.class, () -> client.submit(null));
    assertThrows(NullPointerException.class, () -> client.get(null));
    assertThrows(IllegalArgumentException.class, () -> client.await("x", Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new TaskClient(node.vertx(), Duration.ofMillis(-1)));
  }
}
