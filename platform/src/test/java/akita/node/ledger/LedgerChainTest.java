package akita.node.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.cluster.ClusterAddresses;
import akita.node.config.NodeConfig;
import akita.node.storage.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger's hash chain: appends chain, verify walks it, and altering a row is detected at that row. */
class LedgerChainTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private Database db;
  private NodeConfig.Ledger retention = new NodeConfig.Ledger(0, 0);

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    startLedger();
  }

  private void startLedger() throws Exception {
    db = Database.open(vertx, dir).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.deployVerticle(new LedgerVerticle(db, "node-1", CheckpointSigner.loadOrCreate(dir),
        retention)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // A lone ledger with no cluster around it: tell it that it leads, so it sequences.
    vertx.eventBus().publish(ClusterAddresses.LEADER_CHANGED, new JsonObject().put("isLeader", true).put("term", 1)
        .put("leader", new JsonObject().put("id", "node-1")));
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private JsonObject ask(String address, JsonObject body) throws Exception {
    return vertx.eventBus().<JsonObject>request(address, body).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS).body();
  }

  private void append(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      ask(LedgerAddresses.APPEND, new JsonObject().put("type", i % 2 == 0 ? "NODE_JOINED" : "LEADER_ELECTED")
          .put("subject", "s" + i).put("term", i).put("data", new JsonObject().put("i", i)));
    }
  }

  /** Alters the database behind the node's back (with the node's ledger stopped), then starts it again. */
  private void sql(String statement) throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Database.FILE_NAME))) {
      c.createStatement().execute(statement);
    }
    vertx = Vertx.vertx();
    startLedger();
  }

  /** Verifies a chain of appended entries verifies, and queries filter and page newest first. */
  @Test
  void appendsChainAndVerify() throws Exception {
    append(25);
    assertEquals(new JsonObject().put("ok", true).put("entries", 25L), ask(LedgerAddresses.VERIFY, new JsonObject()));
    JsonObject page = ask(LedgerAddresses.QUERY, new JsonObject().put("limit", 10).put("type", "LEADER_ELECTED"));
    assertEquals(10, page.getJsonArray("entries").size());
    assertEquals(24L, page.getJsonArray("entries").getJsonObject(0).getLong("seq"));
    JsonObject next = ask(LedgerAddresses.QUERY, new JsonObject().put("limit", 10).put("type", "LEADER_ELECTED")
        .put("cursor", page.getLong("nextCursor")));
    assertEquals(2, next.getJsonArray("entries").size());
    assertEquals("s3", ask(LedgerAddresses.QUERY, new JsonObject().put("subject", "s3")).getJsonArray("entries")
        .getJsonObject(0).getString("subject"));
  }

  /**
   * Verifies queries by type find frequent task events (no index by type) and rare events (a partial index) alike,
   * and that SQLite uses the partial index for the rare ones and none by type for the frequent ones (migration V8).
   */
  @Test
  void queriesByTypeUseTheIndexOnlyForRareTypes() throws Exception {
    for (int i = 0; i < 30; i++) {
      String type = i % 10 == 0 ? LedgerEventTypes.TASK_FAILED : LedgerEventTypes.TASK_COMPLETED;
      ask(LedgerAddresses.APPEND, new JsonObject().put("type", type).put("subject", "t" + i)
          .put("data", new JsonObject().put("i", i)));
    }
    JsonObject failed = ask(LedgerAddresses.QUERY, new JsonObject().put("type", LedgerEventTypes.TASK_FAILED));
    assertEquals(List.of("t20", "t10", "t0"), failed.getJsonArray("entries").stream()
        .map(e -> ((JsonObject) e).getString("subject")).toList());
    JsonObject completed = ask(LedgerAddresses.QUERY, new JsonObject().put("type", LedgerEventTypes.TASK_COMPLETED)
        .put("limit", 5));
    assertEquals(List.of("t29", "t28", "t27", "t26", "t25"), completed.getJsonArray("entries").stream()
        .map(e -> ((JsonObject) e).getString("subject")).toList());

    String query = "EXPLAIN QUERY PLAN SELECT seq FROM ledger WHERE seq < ? AND type = ?";
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Database.FILE_NAME))) {
      assertTrue(plan(c, query + " AND " + LedgerVerticle.RARE_TYPE + " ORDER BY seq DESC LIMIT 100",
          LedgerEventTypes.TASK_FAILED).contains("ledger_by_rare_type"), "a rare type is looked up in the index");
      for (String frequent : LedgerVerticle.FREQUENT_TYPES) {
        assertTrue(LedgerVerticle.RARE_TYPE.contains("'" + frequent + "'"), frequent + " is left out of the index");
        assertFalse(plan(c, query + " ORDER BY seq DESC LIMIT 100", frequent).contains("ledger_by"),
            "a frequent type walks back from the newest entry");
      }
    }
  }

  private static String plan(Connection c, String sql, String type) throws Exception {
    try (java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, Long.MAX_VALUE);
      ps.setString(2, type);
      StringBuilder out = new StringBuilder();
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.append(rs.getString("detail")).append('\n');
        }
      }
      return out.toString();
    }
  }

  /** Verifies altering one row in SQLite makes verify report exactly that entry. */
  @Test
  void alteredRowIsReported() throws Exception {
    append(10);
    sql("UPDATE ledger SET data = '{\"i\":999}' WHERE seq = 7");
    JsonObject v = ask(LedgerAddresses.VERIFY, new JsonObject());
    assertEquals(false, v.getBoolean("ok"));
    assertEquals(6L, v.getLong("entries"));
    assertEquals(7L, v.getJsonObject("firstBroken").getLong("seq"));
    assertTrue(v.getJsonObject("firstBroken").getString("reason").contains("altered"));
  }

  /** Verifies a removed row is reported as missing. */
  @Test
  void removedRowIsReported() throws Exception {
    append(5);
    sql("DELETE FROM ledger WHERE seq = 3");
    JsonObject b = ask(LedgerAddresses.VERIFY, new JsonObject()).getJsonObject("firstBroken");
    assertEquals(4L, b.getLong("seq"));
    assertTrue(b.getString("reason").contains("missing"), b.getString("reason"));
  }

  /** Verifies that after a restart the chain continues rather than forks. */
  @Test
  void chainContinuesAfterRestart() throws Exception {
    append(3);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx = Vertx.vertx();
    startLedger();
    append(3);
    assertEquals(new JsonObject().put("ok", true).put("entries", 6L), ask(LedgerAddresses.VERIFY, new JsonObject()));
  }

  /**
   * Verifies retention: pruning to the last 50 of 200 entries leaves a signed checkpoint, the rest still verifies
   * (also after a restart), and an altered checkpoint is reported.
   */
  @Test
  void pruningKeepsVerifyWorking() throws Exception {
    retention = new NodeConfig.Ledger(0, 50);
    sql("SELECT 1"); // restart with the retention limit
    append(200);
    JsonObject pruned = ask(LedgerAddresses.PRUNE, new JsonObject());
    assertEquals(150L, pruned.getJsonObject("checkpoint").getLong("seq"));
    assertEquals(151L, pruned.getLong("firstSeq"));
    JsonObject v = ask(LedgerAddresses.VERIFY, new JsonObject());
    assertEquals(true, v.getBoolean("ok"), v.encode());
    assertEquals(50L, v.getLong("entries"));
    assertEquals(150L, v.getJsonObject("checkpoint").getLong("pruned"));
    append(10);
    sql("SELECT 1"); // restart: the checkpoint is read back, the chain continues after it
    v = ask(LedgerAddresses.VERIFY, new JsonObject());
    assertEquals(true, v.getBoolean("ok"), v.encode());
    assertEquals(60L, v.getLong("entries"));
    sql("UPDATE ledger_checkpoints SET pruned = 1");
    v = ask(LedgerAddresses.VERIFY, new JsonObject());
    assertEquals(false, v.getBoolean("ok"));
    assertEquals(150L, v.getJsonObject("firstBroken").getLong("seq"));
    assertTrue(v.getJsonObject("firstBroken").getString("reason").contains("signature"));
  }

  /**
   * Verifies the hash is the SHA-256 of the UTF-8 text the chain is defined on, for ASCII, non-ASCII (with a
   * surrogate pair), long data (beyond the hasher's buffer), a null subject and nulls elsewhere, and that a
   * hash computed after a failed one is still right.
   */
  @Test
  void hashIsTheDigestOfTheCanonicalText() throws Exception {
    String[] datas = {"{\"i\":1}", "{\"name\":\"Zoë 🐺 \\\"q\\\"\"}", "{\"big\":\"" + "x".repeat(10_000) + "é\"}", "",
        null};
    for (String data : datas) {
      for (String subject : new String[] {"task-1", null, "ünï"}) {
        String canonical = LedgerChain.GENESIS + '\n' + 42 + '\n' + 1_700_000_000_000L + '\n' + "TASK_COMPLETED" + '\n'
            + "node-1" + '\n' + (subject == null ? "" : subject) + '\n' + 7 + '\n' + data;
        String expected = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
            .digest(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals(expected, LedgerChain.hash(LedgerChain.GENESIS, 42, 1_700_000_000_000L, "TASK_COMPLETED",
            "node-1", subject, 7, data), "data " + data + ", subject " + subject);
      }
    }
    String none = null;
    String nulls = none + '\n' + 1 + '\n' + 2 + '\n' + none + '\n' + none + '\n' + "" + '\n' + 3 + '\n' + none;
    assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(nulls.getBytes(java.nio.charset.StandardCharsets.UTF_8))),
        LedgerChain.hash(null, 1, 2, null, null, null, 3, null), "nulls are hashed as concatenation writes them");
  }

  /**
   * Verifies the leader drops an event recorded again by a recovery when the chain already has one of its type
   * for its task (any end, for an end), also within one batch, and keeps it otherwise: successive leaders and a
   * rejoining node may each try to record the same lost end.
   */
  @Test
  void recoveredEventsTheChainHasAreNotRecordedTwice() throws Exception {
    JsonObject recovered = new JsonObject().put("recovered", true);
    ask(LedgerAddresses.APPEND, new JsonObject().put("events", new io.vertx.core.json.JsonArray()
        .add(event(LedgerEventTypes.TASK_SUBMITTED, "t1", new JsonObject()))
        .add(event(LedgerEventTypes.TASK_COMPLETED, "t1", new JsonObject()))));
    ask(LedgerAddresses.APPEND, new JsonObject().put("events", new io.vertx.core.json.JsonArray()
        .add(event(LedgerEventTypes.TASK_SUBMITTED, "t1", recovered)) // the chain has it
        .add(event(LedgerEventTypes.TASK_FAILED, "t1", recovered)) // another end: t1 has one
        .add(event(LedgerEventTypes.TASK_COMPLETED, "t2", recovered)) // none yet: recorded
        .add(event(LedgerEventTypes.TASK_COMPLETED, "t2", recovered)) // the same batch has it now
        .add(event(LedgerEventTypes.TASK_RETRYING, "t1", new JsonObject())))); // not recovered: recorded
    JsonObject all = ask(LedgerAddresses.QUERY, new JsonObject().put("limit", 100).put("after", 0));
    StringBuilder seen = new StringBuilder();
    all.getJsonArray("entries").forEach(o -> seen.append(((JsonObject) o).getString("type")).append(' ')
        .append(((JsonObject) o).getString("subject")).append(", "));
    assertEquals("TASK_SUBMITTED t1, TASK_COMPLETED t1, TASK_COMPLETED t2, TASK_RETRYING t1, ", seen.toString());
    assertEquals(true, ask(LedgerAddresses.VERIFY, new JsonObject()).getBoolean("ok"));
  }

  private static JsonObject event(String type, String subject, JsonObject data) {
    return new JsonObject().put("type", type).put("subject", subject).put("term", 1).put("data", data.copy());
  }
}
