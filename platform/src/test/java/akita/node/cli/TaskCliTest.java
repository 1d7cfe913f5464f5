package akita.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.boot.Node;
import akita.node.config.ConfigOption;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code task} commands against a running node with the built-in plugins (echo, noop, shell). */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TaskCliTest {

  private static final Pattern SUBMITTED = Pattern.compile("^task ([0-9a-f-]{36}) submitted \\(PENDING\\)$",
      Pattern.MULTILINE);
  private static final String SLEEP = "{\"command\": [\"sleep\", \"30\"]}";

  @TempDir
  static Path dir;

  private static Node node;
  private static String target;

  /** What a command printed and returned. */
  record Run(int code, String out, String err) {
  }

  @BeforeAll
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  static void startNode() throws Exception {
    Map<ConfigOption, String> flags = TestNodes.flags(dir.resolve("node"), TestNodes.uniqueCluster());
    flags.put(ConfigOption.NODE_NAME, "task-node");
    node = TestNodes.start(flags, Map.of());
    target = "http://127.0.0.1:" + node.apiPort();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Run status = client("cluster", "status");
    while (!status.out().contains("leader task-node") && System.nanoTime() < deadline) {
      Thread.sleep(50);
      status = client("cluster", "status");
    }
    assertTrue(status.out().contains("leader task-node"), status.out() + status.err());
    // One task end to end, so the scheduler knows its worker before the timed tests.
    Run warmUp = client("task", "submit", "--type", "noop", "--wait", "--wait-timeout-ms", "30000");
    assertEquals(0, warmUp.code(), warmUp.out() + warmUp.err());
  }

  @AfterAll
  static void stopNode() throws Exception {
    TestNodes.stop(node);
  }

  static Run run(String... args) {
    CommandLine cli = AkitaCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** Runs a command against the test node. */
  static Run client(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--target-node-api");
    all.add(target);
    return run(all.toArray(String[]::new));
  }

  /** Submits a task without waiting and returns its id. */
  static String submit(String... args) {
    List<String> all = new ArrayList<>(List.of("task", "submit"));
    all.addAll(List.of(args));
    Run r = client(all.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    Matcher m = SUBMITTED.matcher(r.out().strip());
    assertTrue(m.matches(), r.out());
    return m.group(1);
  }

  /** Submits an echo task, waits for it, and returns it as the CLI's --json shows it. */
  static JsonObject echoDone(String message) {
    Run r = client("task", "submit", "{\"message\": \"" + message + "\"}", "--type", "echo", "--wait", "--json",
        "--wait-timeout-ms", "10000");
    assertEquals(0, r.code(), r.err());
    return new JsonObject(r.out().strip());
  }

  /** Asks for a task until it is in the state, for at most 5 s. */
  static JsonObject awaitState(String id, String state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    JsonObject t;
    do {
      Run r = client("task", "status", id, "--json");
      assertEquals(0, r.code(), r.err());
      t = new JsonObject(r.out().strip());
      if (state.equals(t.getString("state"))) {
        return t;
      }
      Thread.sleep(TaskCommand.POLL_MS / 4);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("task " + id + " is still " + t.getString("state") + ", not " + state + ": " + t);
  }

  /** @return the JSON printed after the follow lines (from the first line that opens an object) */
  static JsonObject trailingJson(String out) {
    int start = out.indexOf("\n{");
    assertTrue(start >= 0, out);
    return new JsonObject(out.substring(start + 1));
  }

  /** Verifies {@code submit --wait} follows an echo task to its end and prints its result. */
  @Test
  void submitAndWait() {
    Run r = client("task", "submit", "{\"message\": \"hi\", \"n\": 2}", "--type", "echo", "--wait",
        "--wait-timeout-ms", "10000");
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(SUBMITTED.matcher(lines.get(0)).matches(), r.out());
    assertTrue(lines.contains("COMPLETED on task-node (attempt 1)"), r.out());
    assertEquals(new JsonObject().put("message", "hi").put("n", 2), trailingJson(r.out()));
  }

  /** Verifies {@code submit --wait --json} prints only the final task's JSON. */
  @Test
  void submitAndWaitJson() {
    Run r = client("task", "submit", "{\"message\": \"json\"}", "--type", "echo", "--priority", "7",
        "--label", "team=cli", "--label", "env=test", "--wait", "--json", "--wait-timeout-ms", "10000");
    assertEquals(0, r.code(), r.err());
    assertEquals(1, r.out().strip().lines().count(), r.out());
    JsonObject t = new JsonObject(r.out().strip());
    assertEquals("COMPLETED", t.getString("state"));
    assertEquals("echo", t.getString("type"));
    assertEquals(7, t.getInteger("priority"));
    assertEquals(new JsonObject().put("team", "cli").put("env", "test"), t.getJsonObject("labels"));
    assertEquals(new JsonObject().put("message", "json"), t.getJsonObject("result"));
  }

  /** Verifies a payload that is not a JSON object is a usage error, before anything is sent. */
  @Test
  void invalidPayload() {
    Run r = client("task", "submit", "{not json", "--type", "echo");
    assertEquals(2, r.code(), r.out() + r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().startsWith("akita: the payload is not valid JSON: "), r.err());
    assertEquals("", r.out());

    Run array = client("task", "submit", "[1, 2]", "--type", "echo");
    assertEquals(2, array.code());
    assertTrue(array.err().contains("the payload must be a JSON object"), array.err());
  }

  /** Verifies the node's validation reaches the user as one line with exit code 1. */
  @Test
  void refusedByValidation() {
    Run r = client("task", "submit", "--type", "echo", "--priority", "-1");
    assertEquals(1, r.code(), r.out() + r.err());
    assertEquals("akita: the node refused (400 INVALID_TASK): 'priority' must be an integer from 0 to 1000, not -1",
        r.err().strip());

    Run noType = client("task", "submit", "{}");
    assertEquals(2, noType.code());
    assertTrue(noType.err().contains("--type"), noType.err());
    Run badLabel = client("task", "submit", "--type", "echo", "--label", "nokey");
    assertEquals(2, badLabel.code());
  }

  /** Verifies a repeated idempotency key returns the first task. */
  @Test
  void idempotencyKey() {
    String id = submit("--type", "noop", "--idempotency-key", "cli-key-1");
    Run again = client("task", "submit", "--type", "noop", "--idempotency-key", "cli-key-1");
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().strip().matches("task " + id + " already exists \\([A-Z]+\\)"), again.out());
  }

  /** Verifies {@code status}, {@code list} and {@code attempts} show a finished task. */
  @Test
  void statusListAttempts() {
    JsonObject t = echoDone("shown");
    String id = t.getString("id");

    Run status = client("task", "status", id);
    assertEquals(0, status.code(), status.err());
    List<String> rows = status.out().lines().toList();
    assertTrue(rows.get(0).matches("FIELD\\s+VALUE"), status.out());
    assertTrue(rows.contains(row("id", id)), status.out());
    assertTrue(rows.contains(row("type", "echo")), status.out());
    assertTrue(rows.contains(row("state", "COMPLETED")), status.out());
    assertTrue(rows.contains(row("attempts", "1/3")), status.out());
    assertTrue(rows.stream().anyMatch(l -> l.matches("node\\s+task-node \\(" + t.getString("nodeId") + "\\)")),
        status.out());
    assertTrue(rows.contains(row("result", "{\"message\":\"shown\"}")), status.out());
    assertTrue(rows.contains(row("error", "-")), status.out());
    assertTrue(rows.stream().anyMatch(l -> l.matches("placement\\s+task-node, score \\S+ \\(best of 1 candidate\\)")),
        status.out());
    assertTrue(rows.stream().anyMatch(l -> l.matches("finished\\s+\\S+Z \\(\\d+s ago\\)")), status.out());

    Run list = client("task", "list", "--type", "echo");
    assertEquals(0, list.code(), list.err());
    assertTrue(list.out().lines().findFirst().orElse("")
        .matches("ID\\s+TYPE\\s+STATE\\s+PRI\\s+ATTEMPTS\\s+NODE\\s+AGE\\s+REASON/ERROR"), list.out());
    assertTrue(list.out().lines().anyMatch(l -> l.startsWith(id + "  echo")
        && l.contains("COMPLETED") && l.contains("1/3") && l.contains("task-node")), list.out());
    assertFalse(list.out().contains("next page"), list.out());

    Run page = client("task", "list", "--limit", "1");
    assertEquals(0, page.code(), page.err());
    assertEquals(2, page.out().lines().filter(l -> !l.startsWith("next page")).count(), page.out());
    Matcher next = Pattern.compile("(?m)^next page: --cursor (\\d+)$").matcher(page.out());
    assertTrue(next.find(), page.out());
    Run second = client("task", "list", "--limit", "1", "--cursor", next.group(1));
    assertEquals(0, second.code(), second.err());
    assertFalse(second.out().lines().skip(1).findFirst().orElse("").equals(page.out().lines().skip(1).findFirst()
        .orElse("")), page.out() + second.out());

    Run byNode = client("task", "list", "--node", "task-node", "--state", "completed", "--type", "echo");
    assertEquals(0, byNode.code(), byNode.err());
    assertTrue(byNode.out().lines().anyMatch(l -> l.startsWith(id.substring(0, 8))), byNode.out());

    Run attempts = client("task", "attempts", id);
    assertEquals(0, attempts.code(), attempts.err());
    List<String> lines = attempts.out().lines().toList();
    assertEquals(2, lines.size(), attempts.out());
    assertTrue(lines.get(0).matches("ATTEMPT\\s+NODE\\s+ASSIGNED\\s+STARTED\\s+ENDED\\s+OUTCOME\\s+ERROR"),
        attempts.out());
    assertTrue(lines.get(1).matches("1\\s+task-node\\s+\\S+Z\\s+\\S+Z\\s+\\S+Z\\s+COMPLETED\\s+-"), attempts.out());

    Run missing = client("task", "status", "no-such-task");
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("404 TASK_NOT_FOUND"), missing.err());
  }

  private static String row(String field, String value) {
    return String.format("%-15s  %s", field, value).stripTrailing();
  }

  /** Verifies cancelling a running shell task ends it CANCELLED, and a second cancel is refused. */
  @Test
  void cancelRunning() throws Exception {
    String id = submit(SLEEP, "--type", "shell", "--max-attempts", "1");
    awaitState(id, "RUNNING");
    Run running = client("task", "watch", id, "--wait-timeout-ms", "500");
    assertEquals(1, running.code(), running.out() + running.err());
    assertEquals("RUNNING on task-node (attempt 1)", running.out().lines().findFirst().orElse(""), running.out());
    assertTrue(running.out().lines().anyMatch(l -> l.matches("running pid \\d+")), running.out());
    assertTrue(running.err().startsWith("akita: gave up waiting after 500 ms: task " + id + " is still RUNNING"),
        running.err());

    Run cancel = client("task", "cancel", id, "--reason", "test is done with it");
    assertEquals(0, cancel.code(), cancel.err());
    assertEquals("task " + id + " cancelled", cancel.out().strip());

    Run status = client("task", "status", id);
    assertTrue(status.out().lines().anyMatch(l -> l.matches("state\\s+CANCELLED")), status.out());
    assertTrue(status.out().lines().anyMatch(l -> l.matches("error\\s+CANCELLED: test is done with it")),
        status.out());

    Run watch = client("task", "watch", id);
    assertEquals(1, watch.code(), watch.out());
    assertEquals("akita: task " + id + " CANCELLED: test is done with it", watch.err().strip());
    assertEquals("CANCELLED after attempt 1 on task-node", watch.out().strip());

    Run again = client("task", "cancel", id);
    assertEquals(1, again.code());
    assertTrue(again.err().contains("409 TASK_FINISHED"), again.err());
  }

  /** Verifies {@code --wait-timeout-ms} bounds the wait with a clear line and exit code 1. */
  @Test
  void waitTimesOut() {
    Run r = client("task", "submit", SLEEP, "--type", "shell", "--wait", "--wait-timeout-ms", "300");
    assertEquals(1, r.code(), r.out() + r.err());
    Matcher m = SUBMITTED.matcher(r.out().lines().findFirst().orElse(""));
    assertTrue(m.matches(), r.out());
    String id = m.group(1);
    assertTrue(r.err().strip().startsWith("akita: gave up waiting after 300 ms: task " + id + " is still "), r.err());
    assertEquals(0, client("task", "cancel", id).code());
  }

  /** Verifies a wait on a task no worker can run says why it waits, and cancelling a PENDING task works. */
  @Test
  void unplaceableTaskSaysWhy() {
    Run r = client("task", "submit", "--type", "no.such.type", "--wait", "--wait-timeout-ms", "800");
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.equals("PENDING (no worker runs task type 'no.such.type')")), r.out());
    Matcher m = SUBMITTED.matcher(r.out().lines().findFirst().orElse(""));
    assertTrue(m.matches(), r.out());
    String id = m.group(1);
    assertTrue(r.err().contains("is still PENDING, no worker runs task type 'no.such.type' (it goes on; "), r.err());

    Run attempts = client("task", "attempts", id);
    assertEquals("task " + id + " has no attempts yet", attempts.out().strip());
    Run cancel = client("task", "cancel", id, "--json");
    assertEquals(0, cancel.code(), cancel.err());
    assertEquals("CANCELLED", new JsonObject(cancel.out().strip()).getString("state"));
    Run watch = client("task", "watch", id);
    assertEquals(1, watch.code());
    assertEquals("CANCELLED", watch.out().strip());
    assertEquals("akita: task " + id + " CANCELLED: cancelled through the API", watch.err().strip());
  }

  /** Verifies {@code watch} on a finished task prints where it ended and its result, exit code 0. */
  @Test
  void watchFinished() {
    String id = echoDone("watched").getString("id");
    Run watch = client("task", "watch", id);
    assertEquals(0, watch.code(), watch.err());
    assertTrue(watch.out().startsWith("COMPLETED on task-node (attempt 1)\n"), watch.out());
    assertEquals(new JsonObject().put("message", "watched"), trailingJson(watch.out()));

    Run json = client("task", "watch", id, "--json");
    assertEquals(0, json.code(), json.err());
    assertEquals(id, new JsonObject(json.out().strip()).getString("id"));
  }

  /** Verifies a task that fails makes {@code submit --wait} exit 1 with the error code and message. */
  @Test
  void failedTask() {
    Run r = client("task", "submit", "{\"command\": [\"false\"]}", "--type", "shell", "--max-attempts", "1",
        "--wait", "--wait-timeout-ms", "10000");
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.equals("FAILED after attempt 1 on task-node")), r.out());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().matches("akita: task \\S+ FAILED: EXECUTION_FAILED: .+\\s*"), r.err());

    Run json = client("task", "submit", "{\"command\": [\"false\"]}", "--type", "shell", "--max-attempts", "1",
        "--wait", "--json", "--wait-timeout-ms", "10000");
    assertEquals(1, json.code());
    JsonObject t = new JsonObject(json.out().strip());
    assertEquals("FAILED", t.getString("state"));
    assertEquals("EXECUTION_FAILED", t.getJsonObject("error").getString("code"));
  }

  /** Verifies every task command has --help. */
  @Test
  void help() {
    for (String sub : new String[] {"", "submit", "status", "list", "cancel", "watch", "attempts"}) {
      Run r = sub.isEmpty() ? run("task", "--help") : run("task", sub, "--help");
      assertEquals(0, r.code(), sub);
      assertTrue(r.out().contains("Usage: akita task"), sub + ": " + r.out());
    }
    assertTrue(run("--help").out().contains("task"));
  }
}
