package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.Command;

/** {@code status}: the target node's identity and state. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the target node's status.")
final class StatusCommand extends ClientCommand {

  @Override
  JsonObject request(NodeApiClient client) {
    return client.get("/api/v1/status");
  }

  @Override
  void print(JsonObject s, PrintWriter out) {
    Table t = new Table("FIELD", "VALUE");
    t.row("node", s.getString("name") + " (" + s.getString("nodeId") + ")");
    t.row("cluster", s.getString("cluster"));
    t.row("version", s.getString("version"));
    t.row("state", s.getString("state"));
    t.row("leader", Boolean.TRUE.equals(s.getBoolean("isLeader")) ? "yes" : "no");
    t.row("roles", Table.list(s.getJsonArray("roles")));
    t.row("capabilities", Table.list(s.getJsonArray("capabilities")));
    t.row("task types", Table.list(s.getJsonArray("taskTypes")));
    t.row("uptime", Table.duration(Duration.ofMillis(s.getLong("uptimeMs", 0L))));
    t.row("run", String.valueOf(s.getValue("run")));
    t.row("api", Boolean.TRUE.equals(s.getBoolean("apiSecured")) ? "secured" : "open (no API keys)");
    t.print(out);
  }
}
