package akita.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** How {@code akita logs} prints events: a task's ids follow its message. */
class LogsCommandTest {

  /** Verifies an event's diagnostic context is printed after the message, sorted by key, and plain events stay plain. */
  @Test
  void printsTheDiagnosticContext() {
    JsonObject answer = new JsonObject().put("entries", new JsonArray()
        .add(new JsonObject().put("time", "2026-11-22T11:13:23.094Z").put("level", "INFO")
            .put("logger", "akita.node.worker.WorkerVerticle").put("message", "attempt 2 ended FAILED")
            .put("mdc", new JsonObject().put("traceId", "9eec").put("taskId", "9e-ec").put("attempt", "2")))
        .add(new JsonObject().put("time", "2026-11-22T11:13:24.000Z").put("level", "WARN")
            .put("logger", "akita.x").put("message", "plain").put("error", "java.io.IOException: gone")));
    StringWriter out = new StringWriter();
    new LogsCommand().print(answer, new PrintWriter(out, true));
    assertEquals("2026-11-22T11:13:23.094Z INFO  akita.node.worker.WorkerVerticle - attempt 2 ended FAILED "
        + "[attempt=2 taskId=9e-ec traceId=9eec]" + System.lineSeparator()
        + "2026-11-22T11:13:24.000Z WARN  akita.x - plain" + System.lineSeparator()
        + "    java.io.IOException: gone" + System.lineSeparator(), out.toString());
  }
}
