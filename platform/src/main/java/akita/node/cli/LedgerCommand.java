package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ledger view|verify}: the target node's hash-chained event log. */
@Command(name = "ledger", mixinStandardHelpOptions = true,
    description = "View, verify and export the cluster's ledger (as held by the target node).",
    subcommands = {LedgerCommand.View.class, LedgerCommand.Verify.class, LedgerCommand.Export.class})
final class LedgerCommand {

  /** {@code ledger view}. */
  @Command(name = "view", mixinStandardHelpOptions = true, description = "Show ledger entries, newest first.")
  static final class View extends ClientCommand {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "How many. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--event-type", paramLabel = "TYPE", description = "Only this type, e.g. LEADER_ELECTED.")
    String type;

    @Option(names = "--subject", paramLabel = "ID", description = "Only entries about this node or task id.")
    String subject;

    @Override
    JsonObject request(NodeApiClient client) {
      StringBuilder q = new StringBuilder("/api/v1/ledger?limit=" + limit);
      if (type != null) {
        q.append("&type=").append(URLEncoder.encode(type, StandardCharsets.UTF_8));
      }
      if (subject != null) {
        q.append("&subject=").append(URLEncoder.encode(subject, StandardCharsets.UTF_8));
      }
      return client.get(q.toString());
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      Table t = new Table("SEQ", "TIME", "TYPE", "SUBJECT", "TERM", "DATA");
      for (Object o : answer.getJsonArray("entries")) {
        JsonObject e = (JsonObject) o;
        String data = e.getJsonObject("data").encode();
        t.row(String.valueOf(e.getLong("seq")), e.getString("time"), e.getString("type"), e.getString("subject"),
            String.valueOf(e.getLong("term")), data.length() > 80 ? data.substring(0, 77) + "..." : data);
      }
      t.print(out);
    }
  }

  /** {@code ledger verify}: exit 1 when the chain is broken. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Walk the hash chain; exit 1 and name the first broken entry if it was altered.")
  static final class Verify extends ClientCommand {
    @Override
    JsonObject request(NodeApiClient client) {
      JsonObject r = client.get("/api/v1/ledger/verify");
      if (!r.getBoolean("ok", false)) {
        JsonObject b = r.getJsonObject("firstBroken");
        throw new CliException(AkitaCommand.EXIT_FAILED, "the ledger is broken at entry " + b.getLong("seq") + ": "
            + b.getString("reason") + " (" + r.getLong("entries") + " entries before it verified)");
      }
      return r;
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      out.println("ledger verified: " + answer.getLong("entries") + " entries, chain intact");
    }
  }

  /** {@code ledger export}: every entry after a seq as JSON lines, oldest first. */
  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Write the ledger as JSON lines (one entry per line, oldest first) to a file or stdout.")
  static final class Export extends ClientCommand {
    @Option(names = "--after", paramLabel = "SEQ", defaultValue = "0",
        description = "Only entries after this seq (to continue an earlier export). Default: ${DEFAULT-VALUE}.")
    long after;

    @Option(names = "--out", paramLabel = "FILE", description = "Write to this file instead of stdout.")
    java.nio.file.Path out;

    @Override
    JsonObject request(NodeApiClient client) {
      long n = 0;
      long last = after;
      java.io.Writer w = null;
      try {
        w = out == null ? spec.commandLine().getOut() : java.nio.file.Files.newBufferedWriter(out);
        while (true) {
          JsonObject page = client.get("/api/v1/ledger?limit=1000&after=" + last);
          for (Object o : page.getJsonArray("entries")) {
            w.write(((JsonObject) o).encode());
            w.write('\n');
            last = ((JsonObject) o).getLong("seq");
            n++;
          }
          if (page.getValue("nextCursor") == null) {
            break;
          }
        }
        w.flush();
        if (out != null) {
          w.close();
        }
      } catch (java.io.IOException e) {
        throw new CliException(AkitaCommand.EXIT_FAILED, "cannot write " + (out == null ? "stdout" : out) + ": "
            + e.getMessage());
      }
      return new JsonObject().put("exported", n).put("lastSeq", last).put("file", out == null ? null
          : out.toString());
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      if (answer.getString("file") != null) {
        out.println("exported " + answer.getLong("exported") + " entries (through seq " + answer.getLong("lastSeq")
            + ") to " + answer.getString("file"));
      }
    }
  }
}
