package akita.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.Http;
import akita.node.testing.NodeProcess;
import akita.node.testing.SmallDisk;
import akita.node.testing.TaskAudit;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose disk fills up (a small tmpfs over its data folder, docs/operations.md "A full disk"): it refuses
 * new tasks with 507 STORAGE_FULL, says so on /health, keeps serving reads, logs the fault once rather than on
 * every retry, and once the disk has room again it takes tasks again and every task it acknowledged completes,
 * recorded once in a ledger that verifies. Before this, one full disk left the SQLite writer stuck in a
 * transaction for good, and the retries logged thousands of stack traces a second.
 */
class DiskFullIT {

  private static final Duration START = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  @Test
  void aFullDiskRefusesNewTasksAndLosesNoneItTook() throws Exception {
    SmallDisk disk;
    try {
      disk = SmallDisk.over(dir.resolve("data"), 64);
    } catch (IllegalStateException e) {
      Assumptions.abort(e.getMessage());
      return;
    }
    int api = TestNodes.freePort();
    String base = "http://127.0.0.1:" + api;
    long since = System.currentTimeMillis() - 1_000;
    try (NodeProcess node = NodeProcess.start(disk.prefix(), dir.resolve("work"), Map.of(), "start",
        "--node-name", "full", "--cluster-name", TestNodes.uniqueCluster(), "--api-port", String.valueOf(api),
        "--hz-port", String.valueOf(TestNodes.freePort()), "--expected-members", "1",
        "--data-dir", dir.resolve("data").toString())) {
      node.awaitHealthy(base, START);
      Map<String, String> acked = new LinkedHashMap<>(); // key -> id
      for (int i = 0; i < 20; i++) {
        Http.Answer a = submit(base, "before-" + i);
        assertEquals(202, a.status(), a.body());
        acked.put("before-" + i, a.json().getString("id"));
      }
      awaitCompleted(base, acked.values());

      Path ballast = disk.fill(node.pid());
      long errorsBefore = errorLines(node);
      // Until the leader notices, a submit may still be taken (SQLite's log reuses its space) or answered
      // NOT_STORED; then it refuses with STORAGE_FULL. Bounded.
      List<String> notStored = new ArrayList<>();
      Http.Answer refused = null;
      for (int i = 0; i < 200 && refused == null; i++) {
        Http.Answer a = submit(base, "full-" + i);
        if (a.status() == 202) {
          acked.put("full-" + i, a.json().getString("id"));
        } else if (a.status() == 507) {
          refused = a;
        } else {
          assertEquals("NOT_STORED", a.errorCode(), a.body());
          notStored.add("full-" + i);
        }
      }
      assertTrue(refused != null, "no submit was refused with 507 while the disk was full");
      assertEquals("STORAGE_FULL", refused.errorCode());
      assertTrue(refused.json().getJsonObject("error").getString("message").contains("disk is full"), refused.body());

      Http.Answer health = Http.get(base + "/health");
      assertEquals(503, health.status(), health.body());
      assertEquals("STORAGE_FULL", health.json().getJsonObject("checks").getJsonObject("database").getString("code"));
      assertTrue(health.json().getBoolean("live"));
      String first = acked.get("before-0");
      assertEquals("COMPLETED", Http.get(base + "/api/v1/tasks/" + first).json().getString("state"),
          "reads are served while the disk is full");

      // The node keeps trying; it must neither die nor flood its log meanwhile.
      Thread.sleep(3_000);
      assertTrue(node.isAlive(), "the node exited on a full disk:\n" + node.stdout());
      long errors = errorLines(node) - errorsBefore;
      assertTrue(errors <= 10, errors + " ERROR lines in 3 s of a full disk:\n" + node.stdout());

      SmallDisk.empty(ballast);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (Http.get(base + "/health").status() != 200) {
        assertTrue(System.nanoTime() < deadline, "not healthy 30 s after the disk had room:\n"
            + Http.get(base + "/health").body());
        Thread.sleep(100);
      }
      Http.Answer after = submit(base, "after");
      assertEquals(202, after.status(), after.body());
      acked.put("after", after.json().getString("id"));
      // A NOT_STORED answer says "retry with the key": the retry finds the task or makes it.
      for (String key : notStored) {
        Http.Answer a = submit(base, key);
        assertTrue(a.status() == 202 || a.status() == 200, a.body());
        acked.put(key, a.json().getString("id"));
      }

      awaitCompleted(base, acked.values());
      TaskAudit.Ledger ledger = TaskAudit.ledger(base, since);
      for (String id : acked.values()) {
        assertEquals(1, ledger.completions(id), "TASK_COMPLETED entries of " + id + ": " + ledger.endings(id));
      }
      JsonObject verify = TaskAudit.verify(base);
      assertTrue(verify.getBoolean("ok"), verify.encode());
      assertTrue(node.stdout().contains("work again"), "the recovery is logged");
    }
  }

  private static Http.Answer submit(String base, String key) throws Exception {
    return Http.post(base + "/api/v1/tasks", new JsonObject().put("type", "echo").put("idempotencyKey", key)
        .put("payload", new JsonObject().put("key", key)).encode(), "Content-Type", "application/json");
  }

  private static void awaitCompleted(String base, Iterable<String> ids) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (String id : ids) {
      while (true) {
        JsonObject t = Http.get(base + "/api/v1/tasks/" + id).json();
        if ("COMPLETED".equals(t.getString("state"))) {
          break;
        }
        assertTrue(System.nanoTime() < deadline, "task " + id + " did not complete: " + t.encode());
        Thread.sleep(50);
      }
    }
  }

  private static long errorLines(NodeProcess node) throws Exception {
    return node.stdout().lines().filter(l -> l.contains(" ERROR ")).count();
  }
}
