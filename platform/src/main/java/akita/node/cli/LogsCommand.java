package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code logs}: the target node's recent log events. */
@Command(name = "logs", mixinStandardHelpOptions = true, description = "Show the target node's recent log events.")
final class LogsCommand extends ClientCommand {

  @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
      description = "How many events, most recent last. Default: ${DEFAULT-VALUE}.")
  int limit;

  @Option(names = "--level", paramLabel = "LEVEL", defaultValue = "INFO",
      description = "Least severe level: TRACE, DEBUG, INFO, WARN, ERROR. Default: ${DEFAULT-VALUE}.")
  String level;

  @Override
  JsonObject request(NodeApiClient client) {
    return client.get("/api/v1/logs?limit=" + limit + "&level="
        + java.net.URLEncoder.encode(level, java.nio.charset.StandardCharsets.UTF_8));
  }

  @Override
  void print(JsonObject answer, PrintWriter out) {
    for (Object o : answer.getJsonArray("entries")) {
      JsonObject e = (JsonObject) o;
      StringBuilder context = new StringBuilder();
      JsonObject mdc = e.getJsonObject("mdc");
      if (mdc != null) {
        // A task's lines: its ids, so they can be followed across nodes (docs/observability.md).
        new java.util.TreeMap<>(mdc.getMap()).forEach((k, v) -> context.append(context.length() == 0 ? " [" : " ")
            .append(k).append('=').append(v));
        context.append(']');
      }
      out.printf("%s %-5s %s - %s%s%n", e.getString("time"), e.getString("level"), e.getString("logger"),
          e.getString("message"), context);
      if (e.containsKey("error")) {
        out.println("    " + e.getString("error"));
      }
    }
  }
}
