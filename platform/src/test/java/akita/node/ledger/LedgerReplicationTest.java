package akita.node.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.config.ConfigOption;
import akita.node.storage.Database;
import akita.node.testing.Http;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster ledger on three real nodes in this JVM: the leader sequences, every node holds the same chain,
 * a node that was down catches up, a deposed leader's extra entries are set aside, and the chain continues
 * across a failover.
 */
class LedgerReplicationTest {

  @TempDir
  Path dir;

  private final List<Node> nodes = new ArrayList<>();
  private final List<Map<ConfigOption, String>> flags = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      TestNodes.stop(nodes.get(i));
    }
  }

  private void startThree() throws Exception {
    flags.addAll(TestNodes.clusterFlags(dir, 3, 2));
    for (Map<ConfigOption, String> f : flags) {
      nodes.add(TestNodes.start(f, Map.of()));
    }
    awaitTrue("a leader", () -> leaderIndex() >= 0);
  }

  private int leaderIndex() {
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      if (n != null) {
        try {
          if (Http.get(api(n) + "/status").json().getBoolean("isLeader")) {
            return i;
          }
        } catch (Exception e) {
          // not answering yet
        }
      }
    }
    return -1;
  }

  private static String api(Node n) {
    return "http://127.0.0.1:" + n.apiPort() + "/api/v1";
  }

  private static JsonObject ask(Node n, String address, JsonObject body) throws Exception {
    return n.vertx().eventBus().<JsonObject>request(address, body).toCompletionStage().toCompletableFuture()
        .get(20, TimeUnit.SECONDS).body();
  }

  /** @return the node's head: the newest entry's seq and hash */
  private static JsonObject head(Node n) throws Exception {
    JsonArray e = ask(n, LedgerAddresses.QUERY, new JsonObject().put("limit", 1)).getJsonArray("entries");
    return e.isEmpty() ? new JsonObject().put("seq", 0L) : e.getJsonObject(0);
  }

  private static void awaitTrue(String what, BooleanSupplier p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!p.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never happened: " + what);
      }
      Thread.sleep(50);
    }
  }

  /** Waits until every running node has the same head, and returns it. */
  private JsonObject awaitSameHead() throws Exception {
    awaitTrue("every node has the leader's head", () -> {
      try {
        JsonObject first = null;
        for (Node n : nodes) {
          if (n == null) {
            continue;
          }
          JsonObject h = head(n);
          if (first == null) {
            first = h;
          } else if (!first.getLong("seq").equals(h.getLong("seq"))
              || !String.valueOf(first.getString("hash")).equals(h.getString("hash"))) {
            return false;
          }
        }
        return true;
      } catch (Exception e) {
        return false;
      }
    });
    return head(nodes.stream().filter(n -> n != null).findFirst().orElseThrow());
  }

  private List<String> runTasks(Node via, int n) throws Exception {
    List<String> ids = new ArrayList<>();
    String batch = java.util.UUID.randomUUID().toString();
    for (int i = 0; i < n; i++) {
      // As a client should: with a key, and again on 503 (no leader yet, or not stored for sure).
      String body = new JsonObject().put("type", "echo").put("payload", new JsonObject().put("i", i))
          .put("idempotencyKey", batch + "-" + i).encode();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Http.Answer a = Http.post(api(via) + "/tasks", body);
      while (a.status() == 503 && System.nanoTime() < deadline) {
        Thread.sleep(100);
        a = Http.post(api(via) + "/tasks", body);
      }
      assertTrue(a.status() == 202 || a.status() == 200, a.body());
      ids.add(a.json().getString("id"));
    }
    for (String id : ids) {
      awaitTrue("task " + id + " completes", () -> {
        try {
          return "COMPLETED".equals(Http.get(api(via) + "/tasks/" + id).json().getString("state"));
        } catch (Exception e) {
          return false;
        }
      });
    }
    return ids;
  }

  /** @return how many entries of a type each subject has on a node */
  private static Map<String, Integer> countByType(Node n, String type) throws Exception {
    Map<String, Integer> out = new HashMap<>();
    Long cursor = null;
    do {
      JsonObject q = new JsonObject().put("type", type).put("limit", 500);
      if (cursor != null) {
        q.put("cursor", cursor);
      }
      JsonObject page = ask(n, LedgerAddresses.QUERY, q);
      page.getJsonArray("entries").forEach(o -> out.merge(((JsonObject) o).getString("subject"), 1, Integer::sum));
      cursor = page.getLong("nextCursor");
    } while (cursor != null);
    return out;
  }

  /** Waits (bounded) until the ledger records every task's end: recording follows storing by a moment. */
  private void awaitEndsRecorded(List<String> ids) throws Exception {
    for (Node n : nodes) {
      if (n != null) {
        awaitTrue("every task's TASK_COMPLETED reaches " + n.context().name(), () -> {
          try {
            return countByType(n, LedgerEventTypes.TASK_COMPLETED).keySet().containsAll(ids);
          } catch (Exception e) {
            return false;
          }
        });
      }
    }
  }

  private void assertVerifies(Node n) throws Exception {
    JsonObject v = Http.get(api(n) + "/ledger/verify").json();
    assertTrue(v.getBoolean("ok"), "verify on " + n.context().name() + ": " + v.encode());
  }

  /**
   * Verifies task events from the leader reach every node's ledger in one chain, each task's end recorded
   * once, and that after the leader stops the next leader continues the same chain.
   */
  @Test
  void everyNodeHoldsTheSameChainAcrossAFailover() throws Exception {
    startThree();
    int leader = leaderIndex();
    Node follower = nodes.get((leader + 1) % 3);
    // Every node's start (a configuration event) is in the one ledger.
    awaitTrue("every node's NODE_STARTED is recorded", () -> {
      try {
        return countByType(nodes.get(leader), LedgerEventTypes.NODE_STARTED).size() == 3;
      } catch (Exception e) {
        return false;
      }
    });
    List<String> first = runTasks(follower, 20);
    awaitEndsRecorded(first);
    awaitSameHead();
    for (Node n : nodes) {
      Map<String, Integer> completed = countByType(n, LedgerEventTypes.TASK_COMPLETED);
      for (String id : first) {
        assertEquals(1, completed.getOrDefault(id, 0), "TASK_COMPLETED of " + id + " on " + n.context().name());
      }
      assertVerifies(n);
    }
    // Task events come in order for each task.
    JsonArray events = Http.get(api(follower) + "/ledger?subject=" + first.get(0) + "&limit=20").json()
        .getJsonArray("entries");
    List<String> types = new ArrayList<>();
    for (int i = events.size() - 1; i >= 0; i--) {
      types.add(events.getJsonObject(i).getString("type"));
    }
    assertEquals(List.of("TASK_SUBMITTED", "TASK_ASSIGNED", "TASK_ACKNOWLEDGED", "TASK_STARTED", "TASK_COMPLETED"),
        types);

    TestNodes.stop(nodes.get(leader));
    nodes.set(leader, null);
    awaitTrue("a new leader", () -> leaderIndex() >= 0);
    List<String> second = runTasks(follower, 10);
    awaitEndsRecorded(second);
    JsonObject head = awaitSameHead();
    for (Node n : nodes) {
      if (n == null) {
        continue;
      }
      Map<String, Integer> completed = countByType(n, LedgerEventTypes.TASK_COMPLETED);
      for (String id : second) {
        assertEquals(1, completed.getOrDefault(id, 0), "TASK_COMPLETED of " + id);
      }
      assertVerifies(n);
      assertTrue(Http.get(api(n) + "/ledger/verify").json().getLong("entries") >= head.getLong("seq"));
    }
  }

  /**
   * Verifies a node that was down while 2,500 events were recorded fetches them when it returns, page after page
   * (1,000 entries each), and verifies.
   */
  @Test
  void aNodeThatWasDownCatchesUp() throws Exception {
    startThree();
    int leader = leaderIndex();
    int down = (leader + 2) % 3;
    awaitSameHead();
    TestNodes.stop(nodes.get(down));
    nodes.set(down, null);
    for (int batch = 0; batch < 5; batch++) {
      JsonArray events = new JsonArray();
      for (int i = batch * 500; i < (batch + 1) * 500; i++) {
        events.add(new JsonObject().put("type", "TEST_EVENT").put("subject", "e" + i)
            .put("data", new JsonObject().put("i", i)));
      }
      ask(nodes.get(leader), LedgerAddresses.APPEND, new JsonObject().put("events", events));
    }
    long leaderHead = head(nodes.get(leader)).getLong("seq");
    nodes.set(down, TestNodes.start(flags.get(down), Map.of()));
    JsonObject head = awaitSameHead();
    assertTrue(head.getLong("seq") >= leaderHead);
    assertEquals(2_500, countByType(nodes.get(down), "TEST_EVENT").size());
    assertVerifies(nodes.get(down));
  }

  /**
   * Verifies a node holding an entry the cluster's chain lacks (as a deposed leader's last write would be)
   * moves it to ledger_orphans on rejoining, takes the cluster's chain, and verifies.
   */
  @Test
  void aForkedEntryIsSetAsideOnRejoin() throws Exception {
    startThree();
    int leader = leaderIndex();
    int forked = (leader + 1) % 3;
    JsonObject before = awaitSameHead();
    TestNodes.stop(nodes.get(forked));
    nodes.set(forked, null);
    // Behind the stopped node's back: one more entry, properly chained, that the cluster never had.
    long seq = before.getLong("seq") + 1;
    long time = System.currentTimeMillis();
    String hash = LedgerChain.hash(before.getString("hash"), seq, time, "FORKED", "ghost", null, 0, "{}");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:"
        + dir.resolve("n" + forked).resolve(Database.FILE_NAME))) {
      c.createStatement().executeUpdate("INSERT INTO ledger (seq, time, type, node_id, subject, term, data, prev_hash, "
          + "hash) VALUES (" + seq + ", " + time + ", 'FORKED', 'ghost', NULL, 0, '{}', '" + before.getString("hash")
          + "', '" + hash + "')");
    }
    // The cluster moves on without it.
    JsonArray events = new JsonArray();
    for (int i = 0; i < 5; i++) {
      events.add(new JsonObject().put("type", "TEST_EVENT").put("subject", "after" + i));
    }
    ask(nodes.get(leader), LedgerAddresses.APPEND, new JsonObject().put("events", events));
    nodes.set(forked, TestNodes.start(flags.get(forked), Map.of()));
    awaitSameHead();
    assertEquals(0, countByType(nodes.get(forked), "FORKED").size());
    assertVerifies(nodes.get(forked));
    awaitTrue("the orphaned entry is recorded", () -> {
      try {
        return countByType(nodes.get(leader), LedgerEventTypes.LEDGER_ENTRIES_ORPHANED).size() == 1;
      } catch (Exception e) {
        return false;
      }
    });
    TestNodes.stop(nodes.get(forked));
    nodes.set(forked, null);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:"
        + dir.resolve("n" + forked).resolve(Database.FILE_NAME));
        ResultSet rs = c.createStatement().executeQuery("SELECT type FROM ledger_orphans")) {
      assertTrue(rs.next());
      assertEquals("FORKED", rs.getString(1));
    }
  }

  /**
   * Verifies a cut-off leader's task events that the cluster's chain lacks (it ran and ended a task before it
   * noticed the cut) are recorded again, once, when it rejoins; those the chain has are not recorded twice.
   */
  @Test
  void setAsideTaskEventsTheChainLacksAreRecordedAgain() throws Exception {
    startThree();
    int leader = leaderIndex();
    int forked = (leader + 1) % 3;
    // The cluster has t-known's end already.
    ask(nodes.get(leader), LedgerAddresses.APPEND, new JsonObject().put("events", new JsonArray()
        .add(new JsonObject().put("type", LedgerEventTypes.TASK_COMPLETED).put("subject", "t-known")
            .put("term", 1).put("data", new JsonObject().put("id", "t-known")))));
    JsonObject before = awaitSameHead();
    TestNodes.stop(nodes.get(forked));
    nodes.set(forked, null);
    // Behind the stopped node's back: what a leader cut off in this term would have written before it noticed.
    long term = Http.get(api(nodes.get(leader)) + "/cluster").json().getLong("term");
    long seq = before.getLong("seq");
    String prev = before.getString("hash");
    String[][] forkedEvents = {
        {LedgerEventTypes.TASK_SUBMITTED, "t-cut", "{\"id\":\"t-cut\",\"state\":\"PENDING\"}"},
        {LedgerEventTypes.TASK_COMPLETED, "t-cut", "{\"id\":\"t-cut\",\"state\":\"COMPLETED\"}"},
        {LedgerEventTypes.TASK_COMPLETED, "t-known", "{\"id\":\"t-known\"}"},
        {"FORKED", "ghost", "{}"}};
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:"
        + dir.resolve("n" + forked).resolve(Database.FILE_NAME));
        var insert = c.prepareStatement("INSERT INTO ledger (seq, time, type, node_id, subject, term, data, "
            + "prev_hash, hash) VALUES (?, ?, ?, 'cut-off', ?, ?, ?, ?, ?)")) {
      for (String[] e : forkedEvents) {
        seq++;
        long time = System.currentTimeMillis();
        String hash = LedgerChain.hash(prev, seq, time, e[0], "cut-off", e[1], term, e[2]);
        insert.setLong(1, seq);
        insert.setLong(2, time);
        insert.setString(3, e[0]);
        insert.setString(4, e[1]);
        insert.setLong(5, term);
        insert.setString(6, e[2]);
        insert.setString(7, prev);
        insert.setString(8, hash);
        insert.executeUpdate();
        prev = hash;
      }
    }
    ask(nodes.get(leader), LedgerAddresses.APPEND, new JsonObject().put("events", new JsonArray()
        .add(new JsonObject().put("type", "TEST_EVENT").put("subject", "after"))));
    nodes.set(forked, TestNodes.start(flags.get(forked), Map.of()));
    awaitTrue("the set-aside entries are reported", () -> {
      try {
        return countByType(nodes.get(leader), LedgerEventTypes.LEDGER_ENTRIES_ORPHANED).size() == 1;
      } catch (Exception e) {
        return false;
      }
    });
    awaitSameHead();
    for (Node n : nodes) {
      assertEquals(Map.of("t-cut", 1), countByType(n, LedgerEventTypes.TASK_SUBMITTED));
      assertEquals(Map.of("t-cut", 1, "t-known", 1), countByType(n, LedgerEventTypes.TASK_COMPLETED));
      assertEquals(0, countByType(n, "FORKED").size(), "only task events are recorded again");
      assertVerifies(n);
    }
    JsonObject end = ask(nodes.get(leader), LedgerAddresses.QUERY, new JsonObject()
        .put("type", LedgerEventTypes.TASK_COMPLETED).put("subject", "t-cut")).getJsonArray("entries")
        .getJsonObject(0);
    assertEquals(term, end.getLong("term"), "recorded again with the term it had");
    assertEquals(true, end.getJsonObject("data").getBoolean("recovered"));
    assertEquals("COMPLETED", end.getJsonObject("data").getString("state"));
    JsonObject report = ask(nodes.get(leader), LedgerAddresses.QUERY, new JsonObject()
        .put("type", LedgerEventTypes.LEDGER_ENTRIES_ORPHANED)).getJsonArray("entries").getJsonObject(0)
        .getJsonObject("data");
    assertEquals(4, report.getInteger("entries"));
    assertEquals(2, report.getInteger("recordedAgain"));
  }

  /**
   * Verifies entries set aside but not yet checked when the node stopped (a node merged back after a partition
   * restarts right after setting them aside) are checked after its next start; settled ones are not again.
   */
  @Test
  void setAsideEntriesLeftUncheckedAreCheckedAfterARestart() throws Exception {
    startThree();
    int leader = leaderIndex();
    int other = (leader + 1) % 3;
    awaitSameHead();
    TestNodes.stop(nodes.get(other));
    nodes.set(other, null);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:"
        + dir.resolve("n" + other).resolve(Database.FILE_NAME));
        var insert = c.prepareStatement("INSERT INTO ledger_orphans (seq, time, type, node_id, subject, term, data, "
            + "orphaned_at, settled_at) VALUES (?, 1, 'TASK_COMPLETED', 'cut-off', ?, 1, '{}', 2, ?)")) {
      insert.setLong(1, 900);
      insert.setString(2, "t-unchecked");
      insert.setNull(3, java.sql.Types.INTEGER);
      insert.executeUpdate();
      insert.setLong(1, 800);
      insert.setString(2, "t-checked-before");
      insert.setLong(3, 3);
      insert.executeUpdate();
    }
    nodes.set(other, TestNodes.start(flags.get(other), Map.of()));
    awaitTrue("the unchecked task end is recorded again", () -> {
      try {
        return countByType(nodes.get(leader), LedgerEventTypes.TASK_COMPLETED).containsKey("t-unchecked");
      } catch (Exception e) {
        return false;
      }
    });
    awaitSameHead();
    for (Node n : nodes) {
      assertEquals(Map.of("t-unchecked", 1), countByType(n, LedgerEventTypes.TASK_COMPLETED));
    }
  }

  /**
   * Verifies a newly elected leader first stores the batches the last leader replicated to it that it had not
   * stored yet, before it asks the others for their heads and starts sequencing. Here both followers' SQLite files
   * are locked (as a disk that is seconds behind under load would be), so that of two batches the first is being
   * stored and the second waits in memory when the leader stops; neither follower has stored either. Without the
   * rule the second batch was missing from the new chain (and set aside on the old leader when it came back).
   */
  @Test
  void aNewLeaderStoresTheBatchesItReceivedBeforeSequencing() throws Exception {
    startThree();
    int leader = leaderIndex();
    awaitSameHead();
    List<Connection> locks = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        if (i != leader) {
          Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("n" + i).resolve(Database.FILE_NAME));
          c.createStatement().execute("BEGIN IMMEDIATE"); // the node's writer now waits (its busy timeout is 5 s)
          locks.add(c);
        }
      }
      long locked = System.nanoTime();
      for (String batch : List.of("first", "second")) {
        JsonArray events = new JsonArray();
        for (int i = 0; i < 5; i++) {
          events.add(new JsonObject().put("type", "TEST_EVENT").put("subject", batch + i));
        }
        ask(nodes.get(leader), LedgerAddresses.APPEND, new JsonObject().put("events", events)); // one commit each
      }
      TestNodes.stop(nodes.get(leader));
      nodes.set(leader, null);
      awaitTrue("a new leader", () -> leaderIndex() >= 0);
      // Unlock well inside the followers' busy timeout, so that the batch being stored is stored.
      assertTrue(System.nanoTime() - locked < TimeUnit.MILLISECONDS.toNanos(4_000), "the election took too long");
    } finally {
      for (Connection c : locks) {
        c.createStatement().execute("ROLLBACK");
        c.close();
      }
    }
    for (Node n : nodes) {
      if (n != null) {
        awaitTrue("both batches in the chain of " + n.context().name(), () -> {
          try {
            return countByType(n, "TEST_EVENT").size() == 10;
          } catch (Exception e) {
            return false;
          }
        });
      }
    }
    awaitSameHead();
    for (Node n : nodes) {
      if (n != null) {
        Map<String, Integer> seen = countByType(n, "TEST_EVENT");
        assertTrue(seen.values().stream().allMatch(c -> c == 1), "each once: " + seen);
        assertVerifies(n);
      }
    }
  }
}
