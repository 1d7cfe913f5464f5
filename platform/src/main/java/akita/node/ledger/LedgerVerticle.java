package akita.node.ledger;

import akita.node.bus.BusError;
import akita.node.storage.Database;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
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

  private record Pending(long time, String type, String subject, long term, String data, Message<JsonObject> msg) {
  }

  private final Database db;
  private final String nodeId;
  private final List<Pending> queue = new ArrayList<>();
  private boolean writing;
  private Promise<Void> drained;
  /** The chain's head: the last committed entry's sequence number and hash. */
  private long lastSeq;
  private String lastHash = LedgerChain.GENESIS;

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
    var bus = vertx.eventBus();
    return chainUnhashedRows()
        .compose(v -> Future.all(List.of(
            bus.<JsonObject>localConsumer(LedgerAddresses.APPEND, this::onAppend).completion(),
            bus.<JsonObject>localConsumer(LedgerAddresses.QUERY, this::onQuery).completion(),
            bus.<JsonObject>localConsumer(LedgerAddresses.VERIFY, this::onVerify).completion())));
  }

  /** Finds the chain's head, and chains rows written before the ledger had hashes (schema V2). */
  private Future<Void> chainUnhashedRows() {
    return db.write(conn -> conn.query("SELECT seq, time, type, node_id, subject, term, data, hash FROM ledger "
            + "ORDER BY seq").execute()
        .compose(rows -> {
          List<Tuple> updates = new ArrayList<>();
          String prev = LedgerChain.GENESIS;
          long seq = 0;
          for (Row r : rows) {
            seq = r.getLong("seq");
            String hash = r.getString("hash");
            if (hash == null) {
              hash = LedgerChain.hash(prev, seq, r.getLong("time"), r.getString("type"), r.getString("node_id"),
                  r.getString("subject"), r.getLong("term"), r.getString("data"));
              updates.add(Tuple.of(prev, hash, seq));
            }
            prev = hash;
          }
          lastSeq = seq;
          lastHash = prev;
          if (updates.isEmpty()) {
            return Future.succeededFuture();
          }
          LOG.info("chained {} ledger entries written before the hash chain existed", updates.size());
          return conn.preparedQuery("UPDATE ledger SET prev_hash = ?, hash = ? WHERE seq = ?").executeBatch(updates)
              .mapEmpty();
        }));
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
    JsonObject body = msg.body();
    if (body != null && body.getValue("events") instanceof JsonArray events) {
      List<Pending> batch = new ArrayList<>(events.size());
      for (int i = 0; i < events.size(); i++) {
        Object e = events.getValue(i);
        String problem = e instanceof JsonObject o ? problem(o) : "each of 'events' must be an object";
        if (problem != null) {
          new BusError(400, "INVALID_EVENT", "events[" + i + "]: " + problem).failOn(msg);
          return;
        }
        batch.add(pending((JsonObject) e, i == events.size() - 1 ? msg : null));
      }
      queue.addAll(batch);
    } else {
      String problem = body == null ? "an event must be a JSON object" : problem(body);
      if (problem != null) {
        new BusError(400, "INVALID_EVENT", problem).failOn(msg);
        return;
      }
      queue.add(pending(body, msg));
    }
    flush();
  }

  /** @return what is wrong with an event, {@code null} if nothing */
  private static String problem(JsonObject e) {
    String type = e.getValue("type") instanceof String s ? s : null;
    if (type == null || !TYPE.matcher(type).matches()) {
      return "an event needs a 'type' in UPPER_SNAKE case";
    }
    Object subject = e.getValue("subject");
    Object data = e.getValue("data");
    Object term = e.getValue("term");
    if (subject != null && !(subject instanceof String) || data != null && !(data instanceof JsonObject)
        || term != null && !(term instanceof Number)) {
      return "'subject' must be a string, 'data' an object, 'term' a number";
    }
    return null;
  }

  private static Pending pending(JsonObject e, Message<JsonObject> replyTo) {
    JsonObject data = e.getJsonObject("data");
    Number term = (Number) e.getValue("term");
    return new Pending(System.currentTimeMillis(), e.getString("type"), e.getString("subject"),
        term == null ? 0L : term.longValue(), data == null ? "{}" : data.encode(), replyTo);
  }

  /**
   * Entries newest first, filtered by type, subject and time; the cursor is the seq to continue below. With
   * {@code after}, the entries after that seq, oldest first (for followers and the live event stream).
   */
  private void onQuery(Message<JsonObject> msg) {
    JsonObject q = msg.body() == null ? new JsonObject() : msg.body();
    Long after = q.getLong("after");
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM ledger WHERE ");
    Tuple args = Tuple.tuple();
    if (after != null) {
      sql.append("seq > ?");
      args.addLong(after);
    } else {
      sql.append("seq < ?");
      args.addLong(q.getLong("cursor", Long.MAX_VALUE));
    }
    if (q.getString("type") != null) {
      sql.append(" AND type = ?");
      args.addString(q.getString("type"));
    }
    if (q.getString("subject") != null) {
      sql.append(" AND subject = ?");
      args.addString(q.getString("subject"));
    }
    if (q.getLong("since") != null) {
      sql.append(" AND time >= ?");
      args.addLong(q.getLong("since"));
    }
    int limit = q.getInteger("limit", 100);
    sql.append(after != null ? " ORDER BY seq LIMIT ?" : " ORDER BY seq DESC LIMIT ?");
    args.addInteger(limit);
    db.reader().preparedQuery(sql.toString()).execute(args).onSuccess(rows -> {
      JsonArray out = new JsonArray();
      long last = -1;
      for (Row r : rows) {
        last = r.getLong("seq");
        out.add(entryJson(r));
      }
      msg.reply(new JsonObject().put("entries", out).put("nextCursor", out.size() == limit ? last : null));
    }).onFailure(err -> new BusError(503, "LEDGER_UNAVAILABLE", err.getMessage()).failOn(msg));
  }

  private static final String COLUMNS = "seq, time, type, node_id, subject, term, data, prev_hash, hash";

  /** An entry's public JSON (docs/rest.md). */
  static JsonObject entryJson(Row r) {
    return entryJson(r.getLong("seq"), r.getLong("time"), r.getString("type"), r.getString("node_id"),
        r.getString("subject"), r.getLong("term"), r.getString("data"), r.getString("prev_hash"),
        r.getString("hash"));
  }

  static JsonObject entryJson(long seq, long time, String type, String nodeId, String subject, long term,
      String data, String prevHash, String hash) {
    return new JsonObject().put("seq", seq).put("time", Instant.ofEpochMilli(time).toString())
        .put("type", type).put("nodeId", nodeId).put("subject", subject).put("term", term)
        .put("data", new JsonObject(data)).put("prevHash", prevHash).put("hash", hash);
  }

  /** Walks the whole chain in order, recomputing every hash; reports the first broken link. */
  private void onVerify(Message<JsonObject> msg) {
    verifyFrom(0, LedgerChain.GENESIS, 0).onSuccess(msg::reply)
        .onFailure(err -> new BusError(503, "LEDGER_UNAVAILABLE", err.getMessage()).failOn(msg));
  }

  private static final int VERIFY_PAGE = 2_000;

  private Future<JsonObject> verifyFrom(long afterSeq, String prev, long checked) {
    return db.reader().preparedQuery("SELECT " + COLUMNS + " FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?").execute(Tuple.of(afterSeq, VERIFY_PAGE))
        .compose(rows -> {
          long expected = afterSeq + 1;
          String p = prev;
          long n = checked;
          long last = afterSeq;
          for (Row r : rows) {
            long seq = r.getLong("seq");
            String reason = null;
            if (seq != expected) {
              reason = "entries " + expected + " to " + (seq - 1) + " are missing";
            } else if (!p.equals(r.getString("prev_hash"))) {
              reason = "its previous-hash does not match the entry before it";
            } else if (!LedgerChain.hash(p, seq, r.getLong("time"), r.getString("type"), r.getString("node_id"),
                r.getString("subject"), r.getLong("term"), r.getString("data")).equals(r.getString("hash"))) {
              reason = "its contents do not match its hash (the entry was altered)";
            }
            if (reason != null) {
              return Future.succeededFuture(new JsonObject().put("ok", false).put("entries", n)
                  .put("firstBroken", new JsonObject().put("seq", seq).put("reason", reason)));
            }
            p = r.getString("hash");
            expected = seq + 1;
            last = seq;
            n++;
          }
          if (rows.size() < VERIFY_PAGE) {
            return Future.succeededFuture(new JsonObject().put("ok", true).put("entries", n));
          }
          return verifyFrom(last, p, n);
        });
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
    // Chain the batch; the head moves only once the batch is committed.
    List<Tuple> rows = new ArrayList<>(batch.size());
    long seq = lastSeq;
    String prev = lastHash;
    for (Pending p : batch) {
      seq++;
      String hash = LedgerChain.hash(prev, seq, p.time, p.type, nodeId, p.subject, p.term, p.data);
      rows.add(Tuple.tuple().addLong(seq).addLong(p.time).addString(p.type).addString(nodeId)
          .addString(p.subject).addLong(p.term).addString(p.data).addString(prev).addString(hash));
      prev = hash;
    }
    long newSeq = seq;
    String newHash = prev;
    db.write(conn -> conn.preparedQuery("INSERT INTO ledger (seq, time, type, node_id, subject, term, data, "
            + "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)").executeBatch(rows))
        .onComplete(ar -> {
          writing = false;
          if (ar.succeeded()) {
            lastSeq = newSeq;
            lastHash = newHash;
            JsonArray committed = new JsonArray(new ArrayList<>(rows.size()));
            for (Tuple t : rows) {
              committed.add(entryJson(t.getLong(0), t.getLong(1), t.getString(2), t.getString(3), t.getString(4),
                  t.getLong(5), t.getString(6), t.getString(7), t.getString(8)));
            }
            vertx.eventBus().publish(LedgerAddresses.COMMITTED, new JsonObject().put("entries", committed),
                new DeliveryOptions().setLocalOnly(true));
          }
          for (Pending p : batch) {
            if (p.msg == null) {
              continue;
            }
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
