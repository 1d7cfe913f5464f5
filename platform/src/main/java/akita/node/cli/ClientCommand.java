package akita.node.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of the commands that talk to a running node: they call the API, then print a table, or the JSON
 * answer with {@code --json}. A failure prints one line on stderr and exits non-zero.
 */
abstract class ClientCommand implements Callable<Integer> {

  @Mixin
  ClientOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public final Integer call() {
    try {
      JsonObject answer = request(options.client());
      PrintWriter out = spec.commandLine().getOut();
      if (answer == null) {
        out.flush(); // the command printed as it went (a stream)
      } else if (options.json) {
        out.println(answer.encode());
      } else {
        print(answer, out);
      }
      out.flush();
      return 0;
    } catch (CliException e) {
      spec.commandLine().getErr().println("akita: " + e.getMessage());
      spec.commandLine().getErr().flush();
      return e.exitCode();
    }
  }

  /** Makes the request; {@code null} when the command printed its output itself. */
  abstract JsonObject request(NodeApiClient client);

  /** Prints the answer for people. */
  abstract void print(JsonObject answer, PrintWriter out);
}
