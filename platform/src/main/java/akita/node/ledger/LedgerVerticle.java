package akita.node.ledger;

import akita.node.bus.BusError;
import akita.node.storage.Database;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends events to this node's ledger table. Appends that arrive while a write is in flight are committed
 * together in the next transaction (group commit), so a burst costs one transaction, not one per event.
 */
public final class LedgerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LedgerVerticle.class);
  private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
  private static final int MAX_BATCH = 500;

  private record Pending(Tuple row, Message<JsonObject> msg) {
  }

  private final Database db;
  private final String nodeId;
  private final List<Pending> queue = new ArrayList<>();
  private boolean writing;
  private Promise<Void> drained;

  /**
   * @param db the node's database
   * @param nodeId this node's id, recorded on every event
   */
  public LedgerVerticle(Database db, String nodeId) {
    this.db = db;
    this.nodeId = nodeId;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<JsonObject>localConsumer(LedgerAddresses.APPEND, this::onAppend).completion();
  }

  @Override
  public Future<?> stop() {
    if (!writing && queue.isEmpty()) {
      return Future.succeededFuture();
    }
    drained = Promise.promise();
    return drained.future();
  }

  private void onAppend(Message<JsonObject> msg) {
    JsonObject e = msg.body();
    String type = e == null ? null : e.getValue("type") instanceof String s ? s : null;
    if (type == null || !TYPE.matcher(type).matches()) {
      new BusError(400, "INVALID_EVENT", "an event needs a 'type' in UPPER_SNAKE case").failOn(msg);
      return;
    }
    Object subject = e.getValue("subject");
    Object data = e.getValue("data");
    Object term = e.getValue("term");
    if (subject != null && !(subject instanceof String) || data != null && !(data instanceof JsonObject)
        || term != null && !(term instanceof Number)) {
      new BusError(400, "INVALID_EVENT", "'subject' must be a string, 'data' an object, 'term' a number")
          .failOn(msg);
      return;
    }
    queue.add(new Pending(Tuple.of(System.currentTimeMillis(), type, nodeId, subject,
        term == null ? 0L : ((Number) term).longValue(), data == null ? "{}" : ((JsonObject) data).encode()), msg));
    flush();
  }

  private void flush() {
    if (writing || queue.isEmpty()) {
      if (!writing && drained != null) {
        drained.tryComplete();
      }
      return;
    }
    List<Pending> batch = new ArrayList<>(queue.subList(0, Math.min(MAX_BATCH, queue.size())));
    queue.subList(0, batch.size()).clear();
    writing = true;
    db.write(conn -> conn.preparedQuery(
            "INSERT INTO ledger (time, type, node_id, subject, term, data) VALUES (?, ?, ?, ?, ?, ?)")
        .executeBatch(batch.stream().map(Pending::row).toList()))
        .onComplete(ar -> {
          writing = false;
          for (Pending p : batch) {
            if (ar.succeeded()) {
              p.msg.reply(new JsonObject().put("ok", true));
            } else {
              new BusError(503, "LEDGER_UNAVAILABLE", "the ledger could not be written: " + ar.cause().getMessage())
                  .failOn(p.msg);
            }
          }
          if (ar.failed()) {
            LOG.error("ledger append of {} event(s) failed", batch.size(), ar.cause());
          }
          flush();
        });
  }
}
