package akita.node.boot;

import akita.node.storage.Database;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
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
    return db.write(conn -> conn.query("SELECT run, started_at FROM node_runs WHERE stopped_at IS NULL "
            + "ORDER BY run DESC LIMIT 1").execute()
        .compose(rows -> {
          for (Row r : rows) {
            LOG.warn("the previous run (#{}, started {}) did not shut down cleanly", r.getLong("run"),
                java.time.Instant.ofEpochMilli(r.getLong("started_at")));
          }
          return conn.query("UPDATE node_runs SET stopped_at = started_at, stop_reason = 'unclean' "
              + "WHERE stopped_at IS NULL").execute();
        })
        .compose(v -> conn.preparedQuery("INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)")
            .execute(Tuple.of(nodeId, version, startedAt)))
        .compose(v -> conn.query("SELECT max(run) AS run FROM node_runs").execute())
        .map(rows -> rows.iterator().next().getLong("run")));
  }

  /** Records a clean stop of a run. */
  static Future<Void> end(Database db, long run, String reason) {
    return db.write(conn -> conn.preparedQuery("UPDATE node_runs SET stopped_at = ?, stop_reason = ? WHERE run = ?")
        .execute(Tuple.of(System.currentTimeMillis(), reason, run))
        .mapEmpty());
  }
}
