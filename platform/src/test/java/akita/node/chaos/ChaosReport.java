package akita.node.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The outcome of the chaos scenarios run in this JVM: printed as a table after each scenario and written as
 * JSON to {@code target/chaos-report.json} (or {@code -Dakita.chaos.report=FILE}).
 */
final class ChaosReport {

  /**
   * One scenario's outcome.
   *
   * @param scenario its name
   * @param offered ticks of the open-loop load
   * @param acknowledged submits answered 202 or 200
   * @param retried acknowledged or abandoned submits that needed more than one request
   * @param refusals retryable refusals by code
   * @param gaveUp submits never acknowledged within the retry time
   * @param rejected submits refused for good (4xx)
   * @param shed ticks the load did not send (too many pending)
   * @param completed acknowledged tasks COMPLETED
   * @param failed acknowledged tasks FAILED
   * @param cancelled acknowledged tasks CANCELLED
   * @param lost acknowledged tasks not found, or not terminal by the deadline
   * @param duplicatedInStore tasks whose attempt history has more than one COMPLETED attempt
   * @param duplicatedInLedger tasks whose end the ledgers record more than once (twice on one node, or by two
   *     leaders); null when no ledger records task events
   * @param missingInLedger finished tasks whose end is in no node's ledger; null as above
   * @param ledgerGaps task ends recorded on some node's ledger but missing on another's (not replicated);
   *     null as above
   * @param duplicateSubmits idempotency keys stored as more than one task
   * @param inconsistent tasks whose state and attempt history disagree
   * @param ledgerVerified whether every node's ledger chain verified
   * @param recoverMs per fault: ms from the fault to the first completion of a task submitted after it
   * @param leaderMs per fault that removed the leader: ms from the fault to a new leader
   * @param probeMs ms for a fresh task submitted after recovery to complete
   * @param problems what went wrong, with examples
   */
  record Row(String scenario, long offered, long acknowledged, long retried, Map<String, Long> refusals,
      long gaveUp, long rejected, long shed, long completed, long failed, long cancelled, long lost,
      long duplicatedInStore, Integer duplicatedInLedger, Integer missingInLedger, Integer ledgerGaps,
      long duplicateSubmits,
      long inconsistent, boolean ledgerVerified, List<Long> recoverMs, List<Long> leaderMs, long probeMs,
      List<String> problems) {

    /** @return the duplicated completions: from the store, and from the ledger when it has task events */
    long duplicated() {
      return duplicatedInStore + (duplicatedInLedger == null ? 0 : duplicatedInLedger);
    }

    JsonObject toJson() {
      JsonObject r = new JsonObject();
      r.put("scenario", scenario).put("offered", offered).put("acknowledged", acknowledged)
          .put("retriedSubmits", retried).put("refusals", new JsonObject(new java.util.HashMap<>(refusals)))
          .put("gaveUp", gaveUp).put("rejected", rejected).put("shed", shed).put("completed", completed)
          .put("failed", failed).put("cancelled", cancelled).put("lost", lost).put("duplicated", duplicated())
          .put("duplicatedInStore", duplicatedInStore).put("duplicatedInLedger", duplicatedInLedger)
          .put("missingInLedger", missingInLedger).put("ledgerGaps", ledgerGaps)
          .put("duplicateSubmits", duplicateSubmits)
          .put("inconsistent", inconsistent).put("ledgerVerified", ledgerVerified)
          .put("recoverMs", new JsonArray(new ArrayList<>(recoverMs))).put("maxRecoverMs", max(recoverMs))
          .put("leaderMs", new JsonArray(new ArrayList<>(leaderMs))).put("maxLeaderMs", max(leaderMs))
          .put("probeMs", probeMs).put("problems", new JsonArray(new ArrayList<>(problems)));
      return r;
    }
  }

  private static final List<Row> ROWS = new ArrayList<>();

  private ChaosReport() {
  }

  /** Adds a row, prints the table so far and rewrites the JSON report. */
  static synchronized void add(ChaosSettings settings, Row row) throws Exception {
    ROWS.add(row);
    System.out.println(table());
    Path file = Path.of(System.getProperty("akita.chaos.report", "target/chaos-report.json"));
    Files.createDirectories(file.toAbsolutePath().getParent());
    JsonArray rows = new JsonArray();
    ROWS.forEach(r -> rows.add(r.toJson()));
    Files.writeString(file, new JsonObject().put("settings", settings.toJson()).put("scenarios", rows)
        .encodePrettily());
  }

  /** @return the rows so far as a text table */
  static synchronized String table() {
    String fmt = "%-22s %8s %8s %9s %6s %6s %12s %11s %10s %9s %7s%n";
    StringBuilder sb = new StringBuilder("\nCHAOS REPORT\n");
    sb.append(String.format(fmt, "scenario", "acked", "retried", "completed", "failed", "lost",
        "dup st/ledg", "recover ms", "leader ms", "gave up", "verify"));
    for (Row r : ROWS) {
      sb.append(String.format(fmt, r.scenario(), r.acknowledged(), r.retried(), r.completed(), r.failed(), r.lost(),
          r.duplicatedInStore() + "/" + (r.duplicatedInLedger() == null ? "n/a" : r.duplicatedInLedger()),
          text(max(r.recoverMs())), text(max(r.leaderMs())), r.gaveUp(), r.ledgerVerified() ? "ok" : "BROKEN"));
    }
    for (Row r : ROWS) {
      if (!r.problems().isEmpty()) {
        sb.append(r.scenario()).append(" problems:\n");
        r.problems().forEach(p -> sb.append("  - ").append(p).append('\n'));
      }
    }
    return sb.toString();
  }

  private static Long max(List<Long> values) {
    return values.stream().max(Long::compare).orElse(null);
  }

  private static String text(Long value) {
    return value == null ? "-" : String.valueOf(value);
  }
}
