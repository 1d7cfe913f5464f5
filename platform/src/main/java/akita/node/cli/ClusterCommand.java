package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cluster status|drain|undrain}: the cluster as the target node sees it, and node drains. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Inspect the cluster and drain nodes.",
    subcommands = {ClusterCommand.Status.class, ClusterCommand.Drain.class, ClusterCommand.Undrain.class})
final class ClusterCommand {

  /** {@code cluster status}: leader, term, quorum and a table of nodes. */
  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Show the leader, the term, the quorum and every node.")
  static final class Status extends ClientCommand {

    @Override
    JsonObject request(NodeApiClient client) {
      return client.get("/api/v1/cluster");
    }

    @Override
    void print(JsonObject c, PrintWriter out) {
      JsonObject leader = c.getJsonObject("leader");
      JsonObject q = c.getJsonObject("quorum");
      out.printf("cluster %s: leader %s, term %d, quorum %s (%d of %d expected present, %d needed)%n",
          c.getString("cluster"), leader == null ? "NONE" : leader.getString("name"), c.getLong("term"),
          q.getBoolean("ok") ? "ok" : "LOST", q.getInteger("present"), q.getInteger("expected"),
          q.getInteger("needed"));
      Table t = new Table("NAME", "ID", "STATE", "ROLES", "CAPABILITIES", "TASK TYPES", "SLOTS", "LOAD", "RTT",
          "LAST SEEN");
      long now = System.currentTimeMillis();
      for (Object o : c.getJsonArray("nodes")) {
        JsonObject n = (JsonObject) o;
        JsonObject slots = n.getJsonObject("slots");
        String id = n.getString("id");
        boolean isLeader = leader != null && leader.getString("id").equals(id);
        Double rtt = n.getDouble("rttMs");
        long ago = now - Instant.parse(n.getString("lastHeartbeat")).toEpochMilli();
        t.row(n.getString("name") + (isLeader ? " *" : ""), id.substring(0, 8),
            n.getString("state") + (n.getBoolean("draining", false) ? " (draining)" : ""),
            Table.list(n.getJsonArray("roles")), Table.list(n.getJsonArray("capabilities")),
            Table.list(n.getJsonArray("taskTypes")), slots.getInteger("free") + "/" + slots.getInteger("total"),
            String.format("%.2f", n.getDouble("load", 0.0)), rtt == null ? "-" : String.format("%.1fms", rtt),
            Table.duration(Duration.ofMillis(Math.max(0, ago))) + " ago");
      }
      t.print(out);
    }
  }

  /** Base of drain and undrain. */
  abstract static class DrainBase extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NODE", description = "Node id or name.")
    String nodeRef;

    abstract boolean draining();

    @Override
    JsonObject request(NodeApiClient client) {
      return client.post("/api/v1/nodes/" + java.net.URLEncoder.encode(nodeRef, java.nio.charset.StandardCharsets.UTF_8)
          .replace("+", "%20") + (draining() ? "/drain" : "/undrain"), new JsonObject());
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      out.println("node " + answer.getString("name") + " (" + answer.getString("nodeId") + ") "
          + (answer.getBoolean("draining") ? "is draining: it takes no new tasks and finishes its own"
              : "takes new tasks again"));
    }
  }

  /** {@code cluster drain NODE}. */
  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = "Stop placing new tasks on a node; it finishes the ones it runs.")
  static final class Drain extends DrainBase {
    @Override
    boolean draining() {
      return true;
    }
  }

  /** {@code cluster undrain NODE}. */
  @Command(name = "undrain", mixinStandardHelpOptions = true, description = "Let a drained node take new tasks again.")
  static final class Undrain extends DrainBase {
    @Override
    boolean draining() {
      return false;
    }
  }
}
