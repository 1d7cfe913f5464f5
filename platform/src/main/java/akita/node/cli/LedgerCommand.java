package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ledger view|verify}: the target node's hash-chained event log. */
@Command(name = "ledger", mixinStandardHelpOptions = true, description = "View and verify the node's ledger.",
    subcommands = {LedgerCommand.View.class, LedgerCommand.Verify.class})
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
}
