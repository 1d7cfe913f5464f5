package akita.node.boot;

import akita.node.storage.Database;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The node's start history in the {@code node_runs} table. */
final class NodeRuns {

  private static final Logger LOG = LoggerFactory.getLogger(NodeRuns.class);

  private NodeRuns() {
  }

  /**
   * Records a start, and warns when the previous run did not stop cleanly.
   *
   * @return this run's number
   */
  static Future<Long> begin(Database db, String nodeId, String version, long startedAt) {
    return db.write(w -> {
      for (JsonObject r : w.query("SELECT run, started_at FROM node_runs WHERE stopped_at IS NULL "
          + "ORDER BY run DESC LIMIT 1")) {
        LOG.warn("the previous run (#{}, started {}) did not shut down cleanly", r.getLong("run"),
            java.time.Instant.ofEpochMilli(r.getLong("started_at")));
      }
      w.update("UPDATE node_runs SET stopped_at = started_at, stop_reason = 'unclean' WHERE stopped_at IS NULL");
      w.update("INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)", nodeId, version, startedAt);
      return w.query("SELECT max(run) AS run FROM node_runs").get(0).getLong("run");
    });
  }

  /** Records a clean stop of a run. */
  static Future<Void> end(Database db, long run, String reason) {
    long now = System.currentTimeMillis();
    return db.write(w -> {
      w.update("UPDATE node_runs SET stopped_at = ?, stop_reason = ? WHERE run = ?", now, reason, run);
      return (Void) null;
    });
  }
}
