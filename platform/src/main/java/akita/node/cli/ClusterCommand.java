package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code cluster status|drain|undrain|resources}: the cluster as the target node sees it, node drains, and
 * the nodes' resources.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Inspect the cluster and drain nodes.",
    subcommands = {ClusterCommand.Status.class, ClusterCommand.Drain.class, ClusterCommand.Undrain.class,
        ClusterCommand.Resources.class})
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

  /** {@code cluster resources [NODE]}: every node's latest resource summary, or one node's full sample. */
  @Command(name = "resources", mixinStandardHelpOptions = true,
      description = "Show every node's CPU, memory, disk and file descriptors, or one node's latest sample in full.")
  static final class Resources extends ClientCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NODE", description = "Node id or name (default: all nodes).")
    String nodeRef;

    @Override
    JsonObject request(NodeApiClient client) {
      if (nodeRef == null) {
        return client.get("/api/v1/cluster");
      }
      return client.get("/api/v1/nodes/" + java.net.URLEncoder.encode(nodeRef, java.nio.charset.StandardCharsets.UTF_8)
          .replace("+", "%20") + "/resources?limit=0");
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      if (nodeRef == null) {
        printAll(answer, out);
      } else {
        printOne(answer, out);
      }
    }

    private static void printAll(JsonObject cluster, PrintWriter out) {
      Table t = new Table("NAME", "STATE", "CPU", "LOAD 1/5/15", "MEMORY", "SWAP", "DISK", "FDS", "HEAP");
      for (Object o : cluster.getJsonArray("nodes")) {
        JsonObject n = (JsonObject) o;
        JsonObject r = n.getJsonObject("resources", new JsonObject());
        if (r.getJsonObject("memory") == null) {
          t.row(n.getString("name"), n.getString("state"), "-", "-", "-", "-", "-", "-", "-");
          continue;
        }
        JsonObject disk = r.getJsonObject("disk", new JsonObject());
        t.row(n.getString("name"), n.getString("state"), percent(r.getJsonObject("cpu").getDouble("total")),
            loads(r.getJsonArray("loadAverage")), usedOf(r.getJsonObject("memory"), "usedBytes", "totalBytes"),
            usedOf(r.getJsonObject("swap"), "usedBytes", "totalBytes"), usedOf(disk, "usedBytes", "totalBytes"),
            r.getValue("openFileDescriptors") + "/" + r.getValue("maxFileDescriptors"),
            usedOf(r.getJsonObject("jvm"), "heapUsedBytes", "heapMaxBytes"));
      }
      t.print(out);
    }

    private static void printOne(JsonObject answer, PrintWriter out) {
      JsonObject s = answer.getJsonObject("latest");
      if (s == null) {
        out.println("node " + answer.getString("nodeId") + " has no resource sample yet (one comes every "
            + answer.getLong("intervalMs") + " ms)");
        return;
      }
      JsonObject cpu = s.getJsonObject("cpu");
      StringBuilder cores = new StringBuilder();
      cpu.getJsonArray("perCore").forEach(c -> cores.append(cores.length() == 0 ? "" : " ")
          .append(percent(((Number) c).doubleValue())));
      out.printf("node %s at %s%n", answer.getString("nodeId"), Instant.ofEpochMilli(s.getLong("time")));
      out.printf("cpu        %s of %d cores (%s)%n", percent(cpu.getDouble("total")), cpu.getInteger("cores"), cores);
      out.printf("load       %s%n", loads(s.getJsonArray("loadAverage")));
      out.printf("memory     %s used, %s available%n", usedOf(s.getJsonObject("memory"), "usedBytes", "totalBytes"),
          bytes(s.getJsonObject("memory").getLong("availableBytes")));
      out.printf("swap       %s used%n", usedOf(s.getJsonObject("swap"), "usedBytes", "totalBytes"));
      out.printf("files      %s open of %s (whole system: %s of %s)%n", s.getValue("openFileDescriptors"),
          s.getValue("maxFileDescriptors"), s.getValue("systemOpenFileDescriptors"), s.getValue("systemMaxFileDescriptors"));
      out.printf("heap       %s used%n", usedOf(s.getJsonObject("jvm"), "heapUsedBytes", "heapMaxBytes"));
      out.println();
      Table disks = new Table("MOUNT", "TYPE", "DEVICE", "USED", "FREE", "READ/S", "WRITE/S");
      for (Object o : s.getJsonArray("disks")) {
        JsonObject d = (JsonObject) o;
        disks.row(d.getString("mount"), d.getString("type"), d.getString("device"), usedOf(d, "usedBytes", "totalBytes"),
            bytes(d.getLong("freeBytes")), rate(d.getDouble("readBytesPerSecond")),
            rate(d.getDouble("writeBytesPerSecond")));
      }
      disks.print(out);
      out.println();
      Table net = new Table("INTERFACE", "RX/S", "TX/S", "RX PACKETS/S", "TX PACKETS/S");
      for (Object o : s.getJsonArray("network")) {
        JsonObject n = (JsonObject) o;
        net.row(n.getString("name"), rate(n.getDouble("rxBytesPerSecond")), rate(n.getDouble("txBytesPerSecond")),
            String.format("%.1f", n.getDouble("rxPacketsPerSecond")), String.format("%.1f", n.getDouble("txPacketsPerSecond")));
      }
      net.print(out);
    }

    private static String percent(Double fraction) {
      return fraction == null ? "-" : String.format("%.0f%%", fraction * 100);
    }

    private static String loads(io.vertx.core.json.JsonArray load) {
      return load == null ? "-" : load.stream().map(v -> String.format("%.2f", ((Number) v).doubleValue()))
          .collect(java.util.stream.Collectors.joining(" "));
    }

    private static String usedOf(JsonObject o, String used, String total) {
      if (o == null || o.getLong(used) == null) {
        return "-";
      }
      return bytes(o.getLong(used)) + "/" + (o.getLong(total) == null ? "?" : bytes(o.getLong(total)));
    }

    private static String rate(Double perSecond) {
      return perSecond == null ? "-" : bytes(Math.round(perSecond));
    }

    /** Bytes in binary units: 512B, 1.5KiB, 3.2GiB. */
    static String bytes(long n) {
      if (n < 1024) {
        return n + "B";
      }
      String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
      double v = n;
      int u = -1;
      while (v >= 1024 && u < units.length - 1) {
        v /= 1024;
        u++;
      }
      return String.format("%.1f%s", v, units[u]);
    }
  }
}
