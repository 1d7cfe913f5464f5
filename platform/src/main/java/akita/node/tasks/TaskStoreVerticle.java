package akita.node.tasks;

import akita.node.bus.BusError;
import akita.node.storage.Database;
import akita.node.storage.DatabaseException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's durable mirror of the task table in SQLite. Writes arriving while a transaction is in flight
 * are committed together in the next one (group commit). A row is replaced only by a write with a higher
 * {@code (term, version)}: the store refuses a deposed leader's stale writes. The scheduler hands it rows
 * ({@code {"term", "rows": [Task#mirrorRow]}}) through {@link akita.node.bus.LocalCodec}, without a copy.
 */
public final class TaskStoreVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(TaskStoreVerticle.class);
  private static final int MAX_BATCH = 1_000;
  static final String LIST = "akita.tasks.store.list";
  static final String GET = "akita.tasks.store.get";

  private static final String UPSERT = "INSERT INTO tasks (id, seq, state, type, node_id, priority, idempotency_key, "
      + "submitted_at, updated_at, term, version, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      + "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, state = excluded.state, type = excluded.type, "
      + "node_id = excluded.node_id, priority = excluded.priority, idempotency_key = excluded.idempotency_key, "
      + "updated_at = excluded.updated_at, term = excluded.term, version = excluded.version, json = excluded.json "
      + "WHERE excluded.term > tasks.term OR (excluded.term = tasks.term AND excluded.version > tasks.version)";

  /** The condition of the partial index {@code tasks_ended_by_update} (migration V6), which must match it. */
  private static final String ENDED = "state IN ('COMPLETED', 'FAILED', 'CANCELLED')";
  private static final String RECOVER = "SELECT json, seq, id FROM tasks WHERE state IN (" + states(false)
      + ") AND (seq, id) > (?, ?) UNION ALL SELECT json, seq, id FROM tasks INDEXED BY tasks_ended_by_update "
      + "WHERE " + ENDED + " AND (seq, id) > (?, ?) AND updated_at >= (SELECT MAX(updated_at) FROM tasks "
      + "INDEXED BY tasks_ended_by_update WHERE " + ENDED + ") - ? ORDER BY seq, id LIMIT ?";
  /** Tasks per page of a recovery query, by default and at most. */
  static final int RECOVER_PAGE = 1_000;
  private static final int RECOVER_PAGE_MAX = 5_000;

  private record Pending(List<Tuple> rows, Promise<Void> done) {
  }

  private final Database db;
  private final String nodeId;
  private final List<Pending> queue = new ArrayList<>();
  private boolean writing;

  /**
   * @param db the node's database
   * @param nodeId this node's id (its recovery address)
   */
  public TaskStoreVerticle(Database db, String nodeId) {
    this.db = db;
    this.nodeId = nodeId;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>localConsumer(TaskAddresses.STORE_PUT, this::onPut).completion(),
        bus.<JsonObject>localConsumer(TaskAddresses.STORE_RECOVER, this::onRecover).completion(),
        bus.<JsonObject>consumer(TaskAddresses.RECOVER_PREFIX + nodeId, this::onRecover).completion(),
        bus.<JsonObject>localConsumer(LIST, this::onList).completion(),
        bus.<JsonObject>localConsumer(GET, this::onGet).completion()));
  }

  private void onPut(Message<JsonObject> msg) {
    JsonArray given = msg.body().getJsonArray("rows", new JsonArray());
    List<Tuple> rows = new ArrayList<>(given.size());
    for (Object o : given) {
      JsonArray r = (JsonArray) o;
      rows.add(Tuple.tuple().addString(r.getString(0)).addLong(r.getLong(1)).addString(r.getString(2))
          .addString(r.getString(3)).addString(r.getString(4)).addInteger(r.getInteger(5)).addString(r.getString(6))
          .addLong(r.getLong(7)).addLong(r.getLong(8)).addLong(r.getLong(9)).addLong(r.getLong(10))
          .addString(r.getString(11)));
    }
    Promise<Void> done = Promise.promise();
    queue.add(new Pending(rows, done));
    flush();
    done.future().onSuccess(v -> msg.reply(new JsonObject().put("ok", true)))
        .onFailure(err -> (err instanceof DatabaseException de && DatabaseException.FULL.equals(de.code())
            ? new BusError(507, DatabaseException.FULL, "the task store could not be written: " + err.getMessage())
            : new BusError(503, "STORE_UNAVAILABLE", "the task store could not be written: " + err.getMessage()))
            .failOn(msg));
  }

  private void flush() {
    if (writing || queue.isEmpty()) {
      return;
    }
    List<Pending> batch = new ArrayList<>();
    List<Tuple> rows = new ArrayList<>();
    while (!queue.isEmpty() && rows.size() < MAX_BATCH) {
      Pending p = queue.remove(0);
      batch.add(p);
      rows.addAll(p.rows);
    }
    writing = true;
    db.write(w -> {
      w.batch(UPSERT, rows);
      return (Void) null;
    })
        .onComplete(ar -> {
          writing = false;
          if (ar.failed() && !DatabaseException.isStorageFault(ar.cause())) {
            LOG.error("writing {} task row(s) failed", rows.size(), ar.cause());
          } // else the database logged that its disk or file fails, once; the scheduler tries again

          for (Pending p : batch) {
            if (ar.succeeded()) {
              p.done.complete();
            } else {
              p.done.fail(ar.cause());
            }
          }
          flush();
        });
  }

  /**
   * For a new leader after a whole-cluster restart, one page at a time so that neither side holds a whole mirror:
   * {@code {"recentEndsMs"?, "after"?, "limit"?}} → {@code {"stored": [text], "next": [seq, id] or null}}: this
   * mirror's unfinished tasks, plus those that ended within {@code "recentEndsMs"} before its newest end (their
   * ends may not have reached the ledger), in {@code [seq, id]} order after {@code "after"} (such a pair), at most
   * {@code "limit"} (default {@value #RECOVER_PAGE}) of them, and the pair to continue after while there may be
   * more; {@code {"ids": [...]}} → {@code {"stored": [text]}}, its copies of those tasks in whatever state
   * (another node may hold a newer, finished copy); {@code {"probe": true}} → {@code {"hasTasks": bool}},
   * whether this mirror ever held a task. Tasks travel in their stored form ({@link Task#storedJson()}), as text.
   */
  private void onRecover(Message<JsonObject> msg) {
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    if (body.getBoolean("probe", false)) {
      db.reader().query("SELECT EXISTS (SELECT 1 FROM tasks) AS any").execute()
          .onSuccess(rows -> msg.reply(new JsonObject().put("hasTasks", rows.iterator().next().getInteger("any") == 1)))
          .onFailure(err -> new BusError(503, "STORE_UNAVAILABLE", err.getMessage()).failOn(msg));
      return;
    }
    JsonArray ids = body.getJsonArray("ids");
    long recentEndsMs = body.getLong("recentEndsMs", 0L);
    int limit = Math.max(1, Math.min(RECOVER_PAGE_MAX, body.getInteger("limit", RECOVER_PAGE)));
    Future<io.vertx.sqlclient.RowSet<Row>> query;
    if (ids != null) {
      Tuple args = Tuple.tuple();
      ids.forEach(args::addValue);
      query = ids.isEmpty() ? Future.succeededFuture(null) : db.reader().preparedQuery("SELECT json FROM tasks "
          + "WHERE id IN (" + String.join(", ", java.util.Collections.nCopies(ids.size(), "?")) + ")").execute(args);
    } else {
      // Two index searches: the unfinished by state, the recent ends by the partial index of ended tasks.
      JsonArray after = body.getJsonArray("after", new JsonArray().add(-1L).add(""));
      long afterSeq = after.getLong(0);
      String afterId = after.getString(1);
      query = db.reader().preparedQuery(RECOVER).execute(Tuple.of(afterSeq, afterId, afterSeq, afterId,
          recentEndsMs <= 0 ? -1L : recentEndsMs, limit));
    }
    query
        .onSuccess(rows -> {
          JsonArray out = new JsonArray();
          JsonArray last = null;
          if (rows != null) {
            for (Row r : rows) {
              out.add(r.getString("json"));
              if (ids == null) {
                last = new JsonArray().add(r.getLong("seq")).add(r.getString("id"));
              }
            }
          }
          JsonObject reply = new JsonObject().put("stored", out);
          if (ids == null) {
            reply.put("next", out.size() == limit ? last : null);
          }
          msg.reply(reply);
        })
        .onFailure(err -> new BusError(503, "STORE_UNAVAILABLE", err.getMessage()).failOn(msg));
  }

  /** @return a stored task ({@link Task#storedJson()}) in the shape the API shows, every field present */
  private static JsonObject shown(String stored) {
    return Task.fromJson(new JsonObject(stored)).toJson();
  }

  /** @return the SQL list of the states that are (or are not) terminal, e.g. {@code 'PENDING', 'RUNNING'} */
  static String states(boolean terminal) {
    return java.util.Arrays.stream(TaskState.values()).filter(s -> s.terminal() == terminal)
        .map(s -> "'" + s.name() + "'").collect(java.util.stream.Collectors.joining(", "));
  }

  private void onGet(Message<JsonObject> msg) {
    String key = msg.body().getString("idempotencyKey");
    (key != null
        ? db.reader().preparedQuery("SELECT json FROM tasks WHERE idempotency_key = ? ORDER BY seq LIMIT 1")
            .execute(Tuple.of(key))
        : db.reader().preparedQuery("SELECT json FROM tasks WHERE id = ?").execute(Tuple.of(msg.body().getString("id"))))
        .onSuccess(rows -> msg.reply(rows.size() == 0 ? new JsonObject()
            : new JsonObject().put("task", shown(rows.iterator().next().getString("json")))))
        .onFailure(err -> new BusError(503, "STORE_UNAVAILABLE", err.getMessage()).failOn(msg));
  }

  /** Lists tasks newest first; the cursor is the {@code seq} to continue below. */
  private void onList(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    StringBuilder sql = new StringBuilder("SELECT json, seq FROM tasks WHERE seq < ?");
    Tuple args = Tuple.of(q.getLong("cursor", Long.MAX_VALUE));
    if (q.getString("state") != null) {
      sql.append(" AND state = ?");
      args.addString(q.getString("state"));
    }
    if (q.getString("type") != null) {
      sql.append(" AND type = ?");
      args.addString(q.getString("type"));
    }
    if (q.getString("node") != null) {
      sql.append(" AND node_id = ?");
      args.addString(q.getString("node"));
    }
    int limit = q.getInteger("limit", 100);
    sql.append(" ORDER BY seq DESC LIMIT ?");
    args.addInteger(limit);
    db.reader().preparedQuery(sql.toString()).execute(args)
        .onSuccess(rows -> {
          JsonArray out = new JsonArray();
          long last = -1;
          for (Row r : rows) {
            out.add(shown(r.getString("json")));
            last = r.getLong("seq");
          }
          msg.reply(new JsonObject().put("tasks", out).put("nextCursor", out.size() == limit ? last : null));
        })
        .onFailure(err -> new BusError(503, "STORE_UNAVAILABLE", err.getMessage()).failOn(msg));
  }
}
