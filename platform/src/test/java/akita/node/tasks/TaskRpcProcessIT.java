package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akita.node.testing.NodeProcess;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A separate JVM joins the cluster as a service and submits and awaits tasks over the event-bus RPC. */
class TaskRpcProcessIT {

  @TempDir
  Path dir;

  @Test
  void anotherJvmSubmitsAndAwaitsThroughTheEventBus() throws Exception {
    String cluster = TestNodes.uniqueCluster();
    int hz = TestNodes.freePort();
    int api = TestNodes.freePort();
    try (NodeProcess node = NodeProcess.start(dir.resolve("node"), Map.of(), "start", "--cluster-name", cluster,
        "--hz-port", String.valueOf(hz), "--api-port", String.valueOf(api))) {
      node.awaitHealthy("http://127.0.0.1:" + api, Duration.ofSeconds(60));
      NodeProcess client = NodeProcess.runMain(dir.resolve("client"), "akita.node.testing.RpcClientMain", cluster,
          "127.0.0.1:" + hz, String.valueOf(TestNodes.freePort()));
      assertEquals(0, client.exitCode(), client.stdout() + client.stderr());
      String out = client.stdout();
      String errText = client.stderr();
      String last = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(
          () -> new AssertionError("no result line:\n" + out + errText));
      JsonObject seen = new JsonObject(last);
      assertEquals("COMPLETED", seen.getString("state"), last);
      assertEquals(new JsonObject().put("from", "another JVM"), seen.getJsonObject("result"));
      assertEquals("400 INVALID_TASK", seen.getString("invalid"));
    }
  }
}
