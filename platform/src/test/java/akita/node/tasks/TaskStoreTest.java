package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    return task("t1", state, term, version, 1_000);
  }

  private JsonArray task(String id, String state, long term, long version, long updatedAt) {
    Task t = new Task(id, TaskSpec.fromJson(new JsonObject().put("type", "echo"), TaskSpec.Limits.DEFAULT, "x"),
        1_000, 1, term);
    JsonObject json = t.toJson().put("state", state).put("term", term).put("version", version);
    return t.mirrorRow(json.encode()).set(2, state).set(8, updatedAt).set(9, term).set(10, version);
  }

  private JsonObject recover(JsonObject query) throws Exception {
    return vertx.eventBus().<JsonObject>request(TaskAddresses.STORE_RECOVER, query)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
  }

  private static java.util.Set<String> ids(JsonObject reply) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    reply.getJsonArray("stored").forEach(o -> out.add(new JsonObject((String) o).getString("id")));
    return out;
  }

  private void put(JsonArray row) throws Exception {
    vertx.eventBus().request(TaskAddresses.STORE_PUT, new JsonObject().put("rows", new JsonArray().add(row)))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private JsonObject stored() throws Exception {
    return vertx.eventBus().<JsonObject>request(TaskStoreVerticle.GET, new JsonObject().put("id", "t1"))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body().getJsonObject("task");
  }

  /**
   * Verifies the lookup by idempotency key uses the key index, which holds only tasks that have a key (migration
   * V8): most have none, and indexing their NULLs cost every submit.
   */
  @Test
  void theKeyIndexHoldsOnlyTasksWithAKey() throws Exception {
    put(task("PENDING", 1, 1));
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db.file())) {
      StringBuilder plan = new StringBuilder();
      try (java.sql.PreparedStatement ps = c.prepareStatement(
          "EXPLAIN QUERY PLAN SELECT json FROM tasks WHERE idempotency_key = ? ORDER BY seq LIMIT 1")) {
        ps.setString(1, "k");
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            plan.append(rs.getString("detail"));
          }
        }
      }
      assertTrue(plan.toString().contains("tasks_by_key"), plan.toString());
      try (java.sql.ResultSet rs = c.createStatement().executeQuery(
          "SELECT sql FROM sqlite_master WHERE name = 'tasks_by_key'")) {
        assertTrue(rs.next() && rs.getString(1).contains("WHERE idempotency_key IS NOT NULL"));
      }
    }
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

  /**
   * Verifies what a leader recovering after a whole-cluster restart gets: every unfinished task, and the tasks
   * that ended within the asked time before the mirror's newest change (their ends may be missing from the
   * ledger), but not older ends; and whether the mirror ever held a task.
   */
  @Test
  void recoveryReturnsUnfinishedAndRecentlyEndedTasks() throws Exception {
    assertEquals(false, recover(new JsonObject().put("probe", true)).getBoolean("hasTasks"));
    put(task("old-end", "COMPLETED", 1, 3, 10_000));
    put(task("open", "PENDING", 1, 1, 20_000));
    put(task("recent-end", "FAILED", 1, 3, 95_000));
    put(task("newest-end", "COMPLETED", 1, 3, 100_000));
    assertEquals(true, recover(new JsonObject().put("probe", true)).getBoolean("hasTasks"));
    assertEquals(java.util.Set.of("open"), ids(recover(new JsonObject())), "by default, unfinished tasks only");
    assertEquals(java.util.Set.of("open", "recent-end", "newest-end"),
        ids(recover(new JsonObject().put("recentEndsMs", 5_000))));
    assertEquals(java.util.Set.of("old-end", "open", "recent-end", "newest-end"),
        ids(recover(new JsonObject().put("recentEndsMs", 90_000))));
    assertEquals(java.util.Set.of("old-end"), ids(recover(new JsonObject().put("ids", new JsonArray().add("old-end")))));
    // The partial index's condition (migration V6) names exactly the terminal states.
    assertEquals("'COMPLETED', 'FAILED', 'CANCELLED'", TaskStoreVerticle.states(true));
  }

  /**
   * Verifies a recovery query goes page by page (a new leader must not hold every mirror's whole answer at once):
   * every task exactly once across the pages, also when tasks share a {@code seq} (two leaders of a split cluster
   * may give the same one), and no {@code next} after the last page.
   */
  @Test
  void recoveryGoesPageByPage() throws Exception {
    java.util.Set<String> expected = new java.util.TreeSet<>();
    for (int i = 0; i < 7; i++) {
      put(task("open-" + i, "PENDING", 1, 1, 20_000));
      expected.add("open-" + i);
    }
    put(task("end", "COMPLETED", 1, 3, 30_000));
    expected.add("end");
    java.util.List<String> seen = new java.util.ArrayList<>();
    JsonObject query = new JsonObject().put("recentEndsMs", 60_000).put("limit", 3);
    int pages = 0;
    while (true) {
      JsonObject page = recover(query);
      pages++;
      page.getJsonArray("stored").forEach(o -> seen.add(new JsonObject((String) o).getString("id")));
      if (page.getJsonArray("next") == null) {
        break;
      }
      assertEquals(3, page.getJsonArray("stored").size(), "only a full page names a next one");
      query.put("after", page.getJsonArray("next"));
    }
    assertEquals(3, pages);
    assertEquals(expected.size(), seen.size(), "no task twice: " + seen);
    assertEquals(expected, new java.util.TreeSet<>(seen));
  }

  /**
   * Verifies the stored form leaves out null and empty fields (a queued task's record is a third smaller in the
   * map and the mirror) and reads back into exactly the task the API shows, before and after it ran.
   */
  @Test
  void storedFormIsCompactAndReadsBackWhole() throws Exception {
    Task t = new Task("t1", TaskSpec.fromJson(new JsonObject().put("type", "echo").put("payload", new JsonObject()
        .put("n", 1)), TaskSpec.Limits.DEFAULT, "x"), 1_000, 1, 1);
    String stored = t.storedJson();
    assertTrue(stored.length() < t.toJson().encode().length() * 0.75, stored);
    assertEquals(t.toJson(), Task.fromJson(new JsonObject(stored)).toJson());
    put(t.mirrorRow(stored));
    assertEquals(t.toJson(), stored());

    t.assign("n1", "node-1", new JsonObject().put("chosen", "n1"), 1, 2_000);
    t.moveTo(TaskState.ASSIGNED, 1, "assigned", 2_000);
    t.endAttempt("COMPLETED", null, 3_000);
    t.result(new JsonObject());
    t.moveTo(TaskState.RUNNING, 1, "running", 2_500);
    t.moveTo(TaskState.COMPLETED, 1, "done", 3_000);
    put(t.mirrorRow(t.storedJson()));
    assertEquals(t.toJson(), stored(), "an empty result stays an empty result");
  }
}
