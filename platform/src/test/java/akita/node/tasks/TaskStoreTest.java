package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akita.node.storage.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite task mirror refuses a write older (by term, then version) than the row it holds. */
class TaskStoreTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private Database db;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    db = Database.open(vertx, dir).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.deployVerticle(new TaskStoreVerticle(db, "n1")).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    db.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private JsonArray task(String state, long term, long version) {
    Task t = new Task("t1", TaskSpec.fromJson(new JsonObject().put("type", "echo"), TaskSpec.Limits.DEFAULT, "x"),
        1_000, 1, term);
    JsonObject json = t.toJson().put("state", state).put("term", term).put("version", version);
    return t.mirrorRow(json.encode()).set(2, state).set(9, term).set(10, version);
  }

  private void put(JsonArray row) throws Exception {
    vertx.eventBus().request(TaskAddresses.STORE_PUT, new JsonObject().put("rows", new JsonArray().add(row)))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private JsonObject stored() throws Exception {
    return vertx.eventBus().<JsonObject>request(TaskStoreVerticle.GET, new JsonObject().put("id", "t1"))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body().getJsonObject("task");
  }

  /** Verifies a deposed leader's write (lower term) and a stale version are refused; newer ones apply. */
  @Test
  void staleWritesAreRefused() throws Exception {
    put(task("COMPLETED", 5, 4));
    put(task("RUNNING", 4, 9));
    assertEquals("COMPLETED", stored().getString("state"), "a lower term never overwrites");
    put(task("RUNNING", 5, 3));
    assertEquals("COMPLETED", stored().getString("state"), "a lower version in the same term never overwrites");
    put(task("CANCELLED", 6, 1));
    assertEquals("CANCELLED", stored().getString("state"), "a higher term does");
  }
}
