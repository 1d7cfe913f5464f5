package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code events}: follow the cluster's ledger live, as the node's event stream delivers it. */
@Command(name = "events", mixinStandardHelpOptions = true,
    description = "Print the cluster's events as they happen (the ledger's live tail), one line each.")
final class EventsCommand extends ClientCommand {

  /** How often a broken stream is reopened before the command gives up. */
  static final int MAX_RECONNECTS = 5;

  @Option(names = "--types", split = ",", paramLabel = "TYPE",
      description = "Only these event types; a trailing * matches a prefix, e.g. TASK_*,NODE_LEFT.")
  List<String> types;

  @Option(names = "--subject", paramLabel = "ID", description = "Only events about this task or node id.")
  String subject;

  @Option(names = "--after", paramLabel = "SEQ",
      description = "First replay the events after this ledger seq (0: the whole ledger), then follow.")
  Long after;

  @Option(names = "--count", paramLabel = "N", description = "Stop after N events (default: follow until stopped).")
  Long count;

  @Override
  JsonObject request(NodeApiClient client) {
    StringBuilder q = new StringBuilder();
    if (types != null && !types.isEmpty()) {
      q.append("&types=").append(URLEncoder.encode(String.join(",", types), StandardCharsets.UTF_8));
    }
    if (subject != null) {
      q.append("&subject=").append(URLEncoder.encode(subject, StandardCharsets.UTF_8));
    }
    String query = q.length() == 0 ? "" : "?" + q.substring(1);
    PrintWriter out = spec.commandLine().getOut();
    Long resume = after;
    long printed = 0;
    int failures = 0;
    while (count == null || printed < count) {
      try (EventReader reader = new EventReader(client.events(query, resume))) {
        failures = 0;
        while (count == null || printed < count) {
          EventReader.Event e = reader.next(60_000);
          if (e == null) {
            continue;
          }
          if ("overflow".equals(e.type())) {
            resume = e.data().getLong("resumeAfter");
            break; // reopen from where we are
          }
          if (e.id() >= 0) {
            resume = e.id();
          }
          out.println(options.json ? e.data().encode() : line(e.data()));
          out.flush();
          printed++;
        }
      } catch (EventReader.StreamEnded ended) {
        if (++failures > MAX_RECONNECTS) {
          throw new CliException(AkitaCommand.EXIT_FAILED, "the event stream kept breaking; last seq seen: "
              + resume);
        }
        sleep(Math.min(5_000, 250L << failures));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException(AkitaCommand.EXIT_FAILED, "interrupted");
      }
    }
    return null;
  }

  /** @return one readable line: seq, time, type, subject, data */
  static String line(JsonObject e) {
    String data = e.getValue("data") instanceof JsonObject d ? d.encode() : String.valueOf(e.getValue("data"));
    return e.getLong("seq") + "  " + e.getString("time") + "  " + e.getString("type") + "  "
        + (e.getString("subject") == null ? "-" : e.getString("subject")) + "  "
        + (data.length() > 120 ? data.substring(0, 117) + "..." : data);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(AkitaCommand.EXIT_FAILED, "interrupted");
    }
  }

  @Override
  void print(JsonObject answer, PrintWriter out) {
    // printed as the events came
  }
}
