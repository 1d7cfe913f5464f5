package akita.node.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import akita.node.testing.Http;
import akita.node.testing.NodeProcess;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two {@code java -jar} processes on loopback, different ports and data folders, form one cluster. */
class TwoNodeClusterIT {

  @TempDir
  Path dir;

  @Test
  void twoProcessesFormOneCluster() throws Exception {
    String cluster = TestNodes.uniqueCluster();
    int hzA = TestNodes.freePort();
    int hzB = TestNodes.freePort();
    int apiA = TestNodes.freePort();
    int apiB = TestNodes.freePort();
    String members = "127.0.0.1:" + hzA + ",127.0.0.1:" + hzB;
    try (NodeProcess a = NodeProcess.start(dir.resolve("a"), Map.of(), "start", "--cluster-name", cluster,
             "--hz-port", String.valueOf(hzA), "--api-port", String.valueOf(apiA), "--members", members);
         NodeProcess b = NodeProcess.start(dir.resolve("b"), Map.of(), "start", "--cluster-name", cluster,
             "--hz-port", String.valueOf(hzB), "--api-port", String.valueOf(apiB), "--members", members)) {
      a.awaitHealthy("http://127.0.0.1:" + apiA, Duration.ofSeconds(60));
      b.awaitHealthy("http://127.0.0.1:" + apiB, Duration.ofSeconds(60));
      // Started together, they may first form two clusters of one; Hazelcast merges them within seconds.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      int membersA = 0;
      int membersB = 0;
      while (System.nanoTime() < deadline && (membersA != 2 || membersB != 2)) {
        membersA = members("http://127.0.0.1:" + apiA);
        membersB = members("http://127.0.0.1:" + apiB);
        Thread.sleep(200);
      }
      assertEquals(2, membersA, a.stdout());
      assertEquals(2, membersB, b.stdout());
      JsonObject sa = Http.get("http://127.0.0.1:" + apiA + "/api/v1/status").json();
      JsonObject sb = Http.get("http://127.0.0.1:" + apiB + "/api/v1/status").json();
      assertEquals(cluster, sa.getString("cluster"));
      assertNotEquals(sa.getString("nodeId"), sb.getString("nodeId"));
      assertEquals(0, b.terminate(Duration.ofSeconds(40)));
      assertEquals(0, a.terminate(Duration.ofSeconds(40)));
    }
  }

  private static int members(String base) throws Exception {
    return Http.get(base + "/health").json().getJsonObject("checks").getJsonObject("cluster").getInteger("members");
  }
}
