package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code shutdown}: asks the target node to stop gracefully. */
@Command(name = "shutdown", mixinStandardHelpOptions = true,
    description = "Stop the target node gracefully (it finishes or hands back its work, then leaves the cluster).")
final class ShutdownCommand extends ClientCommand {

  @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the node's log.")
  String reason;

  @Override
  JsonObject request(NodeApiClient client) {
    JsonObject body = new JsonObject();
    if (reason != null) {
      body.put("reason", reason);
    }
    return client.post("/api/v1/shutdown", body);
  }

  @Override
  void print(JsonObject answer, PrintWriter out) {
    out.println("node " + answer.getString("nodeId") + " is shutting down");
  }
}
