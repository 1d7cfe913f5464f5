package akita.node.ledger;

import akita.node.bus.BusError;
import akita.node.bus.LocalCodec;
import akita.node.cluster.ClusterAddresses;
import akita.node.config.NodeConfig;
import akita.node.storage.Database;
import akita.node.storage.DatabaseException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's ledger on this node (ADR 13). The leader sequences every node's events into one hash chain and
 * replicates each committed batch to every node; followers forward their own events to the leader, apply what it
 * replicates, and repair gaps by fetching the missing range. A new leader first catches up from the member with
 * the longest chain, so the chain continues instead of forking; entries that only a deposed leader holds are
 * moved to {@code ledger_orphans} when it rejoins. Retention prunes old entries behind a signed checkpoint.
 *
 * <p>Every change of the chain (commit, apply, repair, prune) runs one at a time ({@link #busy}); appends that
 * arrive meanwhile are committed together in the next batch (group commit).
 */
public final class LedgerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LedgerVerticle.class);
  private static final int MAX_BATCH = 500;
  private static final int RANGE_LIMIT = 1_000;
  private static final int MAX_OUTBOX = 200_000;
  private static final int MAX_INBOUND = 256;
  private static final int REMEMBERED_IDS = 100_000;
  private static final long HEARTBEAT_MS = 1_000;
  private static final long RETRY_MS = 250;
  /** The longest wait before trying again while the disk is full or failing. */
  private static final long RETRY_MAX_MS = 2_000;
  private static final long PRUNE_MS = 60_000;
  private static final int VERIFY_PAGE = 2_000;
  /**
   * The event types every task records: nearly all of a busy ledger, so they have no index by type (migration
   * V8), and a query for one walks back from the newest entry.
   */
  static final List<String> FREQUENT_TYPES = List.of(LedgerEventTypes.TASK_SUBMITTED,
      LedgerEventTypes.TASK_ASSIGNED, LedgerEventTypes.TASK_ACKNOWLEDGED, LedgerEventTypes.TASK_STARTED,
      LedgerEventTypes.TASK_COMPLETED);
  /** The condition of the index {@code ledger_by_rare_type}, word for word as migration V8 writes it. */
  static final String RARE_TYPE = FREQUENT_TYPES.stream().map(t -> "'" + t + "'")
      .collect(java.util.stream.Collectors.joining(", ", "type NOT IN (", ")"));
  private static final String COLUMNS = "seq, time, type, node_id, subject, term, data, prev_hash, hash";
  private static final String INSERT = "INSERT INTO ledger (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String INSERT_CHECKPOINT = "INSERT OR REPLACE INTO ledger_checkpoints (seq, hash, time, "
      + "pruned, node_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?, ?)";
  private static final DeliveryOptions LOCAL = LocalCodec.LOCAL;
  private static final DeliveryOptions PEER = new DeliveryOptions().setSendTimeout(10_000);

  /** An event waiting to be sequenced: from this node, or forwarded to this node while it leads. */
  private record Pending(String eid, long time, String type, String origin, String subject, long term, String data,
      Message<?> msg) {

    JsonObject toWire() {
      return new JsonObject().put("eid", eid).put("time", time).put("type", type).put("nodeId", origin)
          .put("subject", subject).put("term", term).put("data", data);
    }
  }

  /** A committed entry, as stored and as replicated (data as the exact string that was hashed). */
  record Entry(long seq, long time, String type, String nodeId, String subject, long term, String data,
      String prevHash, String hash) {

    static Entry of(Row r) {
      return new Entry(r.getLong("seq"), r.getLong("time"), r.getString("type"), r.getString("node_id"),
          r.getString("subject"), r.getLong("term"), r.getString("data"), r.getString("prev_hash"),
          r.getString("hash"));
    }

    static Entry fromWire(JsonObject o) {
      return new Entry(o.getLong("seq"), o.getLong("time"), o.getString("type"), o.getString("nodeId"),
          o.getString("subject"), o.getLong("term"), o.getString("data"), o.getString("prevHash"),
          o.getString("hash"));
    }

    JsonObject toWire() {
      return new JsonObject().put("seq", seq).put("time", time).put("type", type).put("nodeId", nodeId)
          .put("subject", subject).put("term", term).put("data", data).put("prevHash", prevHash).put("hash", hash);
    }

    /** @return the public JSON (docs/rest.md) */
    JsonObject toJson() {
      return new JsonObject().put("seq", seq).put("time", Instant.ofEpochMilli(time).toString())
          .put("type", type).put("nodeId", nodeId).put("subject", subject).put("term", term)
          .put("data", new JsonObject(data)).put("prevHash", prevHash).put("hash", hash);
    }

    Tuple toTuple() {
      return Tuple.tuple().addLong(seq).addLong(time).addString(type).addString(nodeId).addString(subject)
          .addLong(term).addString(data).addString(prevHash).addString(hash);
    }

    boolean hashOk() {
      return hash != null && hash.equals(LedgerChain.hash(prevHash, seq, time, type, nodeId, subject, term, data));
    }
  }

  /** A retention checkpoint: entries up to {@code seq} were pruned; {@code hash} is that entry's hash. */
  record Checkpoint(long seq, String hash, long time, long pruned, String nodeId, String publicKey,
      String signature) {

    static Checkpoint of(JsonObject r) {
      return new Checkpoint(r.getLong("seq"), r.getString("hash"), r.getLong("time"), r.getLong("pruned"),
          r.getString("node_id"), r.getString("public_key"), r.getString("signature"));
    }

    static Checkpoint fromJson(JsonObject o) {
      return new Checkpoint(o.getLong("seq"), o.getString("hash"), o.getLong("time"), o.getLong("pruned"),
          o.getString("nodeId"), o.getString("publicKey"), o.getString("signature"));
    }

    JsonObject toJson() {
      return new JsonObject().put("seq", seq).put("hash", hash).put("time", time).put("pruned", pruned)
          .put("nodeId", nodeId).put("publicKey", publicKey).put("signature", signature);
    }

    boolean signatureOk() {
      return CheckpointSigner.verify(publicKey, signature, seq, hash, time, pruned);
    }

    Tuple toTuple() {
      return Tuple.of(seq, hash, time, pruned, nodeId, publicKey, signature);
    }
  }

  private final Database db;
  private final String nodeId;
  private final CheckpointSigner signer;
  private final NodeConfig.Ledger retention;
  private final String runId = Long.toString(System.currentTimeMillis(), 36);
  private long eventCounter;

  /** The chain's head: the last committed entry's sequence number and hash. */
  private long lastSeq;
  private String lastHash = LedgerChain.GENESIS;
  /** The first entry still stored (after pruning), and the checkpoint that stands for the ones before. */
  private long firstSeq = 1;
  private Checkpoint checkpoint;

  /** This node's events (and, while it leads, forwarded ones) not yet committed, oldest first. */
  private final ArrayDeque<Pending> outbox = new ArrayDeque<>();
  /** Batches replicated by the leader, waiting to be applied. */
  private final ArrayDeque<List<Entry>> inbound = new ArrayDeque<>();
  /** The last entry of the replicated batch being stored, {@code null} when none is. */
  private Entry applying;
  /** Ids of forwarded events already sequenced by this leader, so a retried forward is not recorded twice. */
  private final LinkedHashSet<String> sequencedIds = new LinkedHashSet<>();

  private boolean leading;
  /** Whether this leader has caught up with the longest chain among the members and may sequence. */
  private boolean ready;
  private long term;
  private String leaderId;
  /** The node followers fetch missing entries from: the replicating leader, or (catching up) the best peer. */
  private String source;
  private long sourceTerm;
  private boolean needRepair;
  /**
   * The term in which this node, newly elected, has yet to ask the members for their heads: first it stores the
   * replicated batches it received from the last leader and had not stored yet (under load followers store
   * seconds behind, and what no node stored is set aside on the last leader when it returns, or lost with it).
   */
  private long catchUpTerm;
  /** The term whose ask for the members' heads ({@link #catchUp}) is out. */
  private long askedHeadsTerm;
  /**
   * Whether {@code ledger_orphans} holds entries not yet checked against the cluster's chain: once this node has
   * caught up, {@link #settleOrphans} records again the task events among them that the chain lacks.
   */
  private boolean unsettledOrphans;
  /** How many times this node has set entries aside since it started. */
  private int orphanings;
  private boolean busy;
  private boolean forwarding;
  private boolean retryScheduled;
  /** Commits in a row that failed because the disk is full or failing; spaces out the tries. */
  private int storageFaults;
  private long heartbeatTimer = -1;
  private long pruneTimer = -1;
  private Promise<Void> drained;
  /** {@link LedgerAddresses#RECORDED} requests waiting until this leader has caught up. */
  private final List<Message<JsonObject>> waitingForReady = new ArrayList<>();

  /**
   * @param db the node's database
   * @param nodeId this node's id, recorded on its events
   * @param signer signs retention checkpoints
   * @param retention how long and how many entries to keep
   */
  public LedgerVerticle(Database db, String nodeId, CheckpointSigner signer, NodeConfig.Ledger retention) {
    this.db = db;
    this.nodeId = nodeId;
    this.signer = signer;
    this.retention = retention;
  }

  @Override
  public Future<?> start() {
    LocalCodec.register(vertx);
    var bus = vertx.eventBus();
    return loadHead()
        .compose(v -> Future.all(List.of(
            bus.<JsonObject>localConsumer(LedgerAddresses.APPEND, this::onAppend).completion(),
            bus.<List<LedgerEvent>>localConsumer(LedgerAddresses.APPEND_EVENTS, this::onAppendEvents).completion(),
            bus.<JsonObject>localConsumer(LedgerAddresses.QUERY, this::onQuery).completion(),
            bus.<JsonObject>localConsumer(LedgerAddresses.VERIFY, this::onVerify).completion(),
            bus.<JsonObject>localConsumer(LedgerAddresses.PRUNE, this::prune).completion(),
            bus.<JsonObject>localConsumer(LedgerAddresses.RECORDED, this::onRecorded).completion(),
            bus.<JsonObject>localConsumer(ClusterAddresses.LEADER_CHANGED, m -> onLeader(m.body())).completion(),
            bus.<Buffer>consumer(LedgerAddresses.REPLICATE, this::onReplicate).completion(),
            bus.<JsonObject>consumer(LedgerAddresses.append(nodeId), this::onForwarded).completion(),
            bus.<JsonObject>consumer(LedgerAddresses.range(nodeId), this::onRange).completion(),
            bus.<JsonObject>consumer(LedgerAddresses.head(nodeId), m -> m.reply(head())).completion())))
        .compose(v -> bus.<JsonObject>request(ClusterAddresses.LEADER_STATE, new JsonObject())
            .onSuccess(m -> onLeader(m.body()))
            .<Void>mapEmpty()
            .recover(err -> Future.succeededFuture()))
        .onSuccess(v -> {
          heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MS, id -> heartbeat());
          if (retention.maxAgeMs() > 0 || retention.maxEntries() > 0) {
            pruneTimer = vertx.setPeriodic(PRUNE_MS, id -> prune());
            vertx.setTimer(1_000, id -> prune());
          }
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(heartbeatTimer);
    vertx.cancelTimer(pruneTimer);
    if (!busy && !(leading && ready && !outbox.isEmpty())) {
      return Future.succeededFuture();
    }
    // Let the commit in progress (and a leader's queued appends) finish; followers' unsent events stay lost.
    drained = Promise.promise();
    return drained.future();
  }

  private JsonObject head() {
    return new JsonObject().put("seq", lastSeq).put("hash", lastHash).put("leading", leading && ready);
  }

  // ---- start -------------------------------------------------------------------------------------------

  /** Finds the chain's head and checkpoint, and chains rows written before the ledger had hashes (schema V2). */
  private Future<Void> loadHead() {
    record Head(Checkpoint checkpoint, long firstSeq, long lastSeq, String lastHash, boolean unsettledOrphans) {
    }
    return db.write(w -> {
      List<JsonObject> cps = w.query("SELECT seq, hash, time, pruned, node_id, public_key, signature "
          + "FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1");
      Checkpoint cp = cps.isEmpty() ? null : Checkpoint.of(cps.get(0));
      // Only a ledger from before the hash chain (schema V2) needs a full pass; otherwise read the ends.
      List<JsonObject> rows = w.query("SELECT COUNT(*) AS n FROM ledger WHERE hash IS NULL").get(0).getLong("n") > 0
          ? w.query("SELECT " + COLUMNS + " FROM ledger ORDER BY seq")
          : w.query("SELECT " + COLUMNS + " FROM ledger WHERE seq = (SELECT MIN(seq) FROM ledger) "
              + "OR seq = (SELECT MAX(seq) FROM ledger) ORDER BY seq");
      List<Tuple> updates = new ArrayList<>();
      String prev = cp == null ? LedgerChain.GENESIS : cp.hash();
      long seq = cp == null ? 0 : cp.seq();
      long first = -1;
      for (JsonObject r : rows) {
        seq = r.getLong("seq");
        if (first < 0) {
          first = seq;
        }
        String hash = r.getString("hash");
        if (hash == null) {
          hash = LedgerChain.hash(prev, seq, r.getLong("time"), r.getString("type"), r.getString("node_id"),
              r.getString("subject"), r.getLong("term"), r.getString("data"));
          updates.add(Tuple.of(prev, hash, seq));
        }
        prev = hash;
      }
      if (!updates.isEmpty()) {
        LOG.info("chained {} ledger entries written before the hash chain existed", updates.size());
        w.batch("UPDATE ledger SET prev_hash = ?, hash = ? WHERE seq = ?", updates);
      }
      boolean unsettled = !w.query("SELECT 1 AS x FROM ledger_orphans WHERE settled_at IS NULL LIMIT 1").isEmpty();
      return new Head(cp, first < 0 ? seq + 1 : first, seq, prev, unsettled);
    }).map(h -> {
      unsettledOrphans = h.unsettledOrphans();
      needRepair = unsettledOrphans; // catch up (even if the heads agree) and then settle them
      checkpoint = h.checkpoint();
      firstSeq = h.firstSeq();
      lastSeq = h.lastSeq();
      lastHash = h.lastHash();
      return null;
    });
  }

  // ---- roles -------------------------------------------------------------------------------------------

  private void onLeader(JsonObject state) {
    if (state == null) {
      return;
    }
    JsonObject leader = state.getJsonObject("leader");
    String newLeader = leader == null ? null : leader.getString("id");
    long newTerm = state.getLong("term", 0L);
    boolean nowLeading = state.getBoolean("isLeader", false);
    if (nowLeading && (!leading || newTerm != term)) {
      leading = true;
      ready = false;
      term = newTerm;
      leaderId = nodeId;
      catchUpTerm = newTerm; // once the batches already received are stored: kick()
    } else if (!nowLeading) {
      if (leading) {
        LOG.info("ledger: no longer sequencing (term {})", term);
      }
      leading = false;
      ready = false;
      term = newTerm;
      leaderId = newLeader;
      if (newLeader != null && newTerm >= sourceTerm) {
        source = newLeader;
        sourceTerm = newTerm;
      }
    }
    kick();
  }

  /** A new leader asks every member for its head and first fetches what the longest chain has beyond its own. */
  private void catchUp(long myTerm) {
    var bus = vertx.eventBus();
    bus.<JsonObject>request(ClusterAddresses.VIEW, new JsonObject()).compose(view -> {
      List<Future<JsonObject>> heads = new ArrayList<>();
      for (Object o : view.body().getJsonArray("nodes", new JsonArray())) {
        JsonObject n = (JsonObject) o;
        String id = n.getString("id");
        if (!nodeId.equals(id) && !"OFFLINE".equals(n.getString("state"))) {
          heads.add(bus.<JsonObject>request(LedgerAddresses.head(id), new JsonObject(),
                  new DeliveryOptions().setSendTimeout(1_500))
              .map(m -> m.body().put("id", id))
              .otherwise(err -> null));
        }
      }
      return Future.join(heads).map(f -> heads.stream().map(Future::result).filter(h -> h != null).toList());
    }).onComplete(ar -> {
      if (!leading || term != myTerm) {
        return;
      }
      catchUpTerm = 0;
      JsonObject best = null;
      if (ar.succeeded()) {
        for (JsonObject h : ar.result()) {
          if (h.getLong("seq", 0L) > lastSeq && (best == null || h.getLong("seq") > best.getLong("seq"))) {
            best = h;
          }
        }
      }
      if (best == null) {
        becomeReady(myTerm);
      } else {
        LOG.info("ledger: catching up from {} (its head {}, ours {}) before sequencing", best.getString("id"),
            best.getLong("seq"), lastSeq);
        source = best.getString("id");
        needRepair = true;
        kick();
      }
    });
  }

  private void becomeReady(long myTerm) {
    if (!leading || term != myTerm || ready || catchUpTerm == myTerm) {
      return;
    }
    ready = true;
    source = nodeId;
    sourceTerm = myTerm;
    sequencedIds.clear();
    LOG.info("ledger: sequencing for the cluster from seq {} (term {})", lastSeq + 1, myTerm);
    List<Message<JsonObject>> waiting = new ArrayList<>(waitingForReady);
    waitingForReady.clear();
    waiting.forEach(this::onRecorded);
    heartbeat();
    kick();
    if (unsettledOrphans) { // our chain is the cluster's now
      settleOrphans().onComplete(ar -> {
        if (ar.failed()) {
          LOG.warn("ledger: could not check the entries set aside against the chain: {}", ar.cause().getMessage());
        }
        kick();
      });
    }
  }

  // ---- appends -----------------------------------------------------------------------------------------

  private void onAppend(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    List<Pending> batch;
    if (body != null && body.getValue("events") instanceof JsonArray events) {
      batch = new ArrayList<>(events.size());
      for (int i = 0; i < events.size(); i++) {
        Object e = events.getValue(i);
        String problem = e instanceof JsonObject o ? problem(o) : "each of 'events' must be an object";
        if (problem != null) {
          new BusError(400, "INVALID_EVENT", "events[" + i + "]: " + problem).failOn(msg);
          return;
        }
        batch.add(local((JsonObject) e, i == events.size() - 1 ? msg : null));
      }
    } else {
      String problem = body == null ? "an event must be a JSON object" : problem(body);
      if (problem != null) {
        new BusError(400, "INVALID_EVENT", problem).failOn(msg);
        return;
      }
      batch = List.of(local(body, msg));
    }
    enqueue(batch, msg);
  }

  /** Events this node's services built with their data as text ({@link LedgerEvent}): nothing to check or encode. */
  private void onAppendEvents(Message<List<LedgerEvent>> msg) {
    List<LedgerEvent> events = msg.body();
    if (events == null || events.isEmpty()) {
      new BusError(400, "INVALID_EVENT", "an append needs at least one event").failOn(msg);
      return;
    }
    List<Pending> batch = new ArrayList<>(events.size());
    long now = System.currentTimeMillis();
    for (int i = 0; i < events.size(); i++) {
      batch.add(local(events.get(i), now, i == events.size() - 1 ? msg : null));
    }
    enqueue(batch, msg);
  }

  private void enqueue(List<Pending> batch, Message<?> msg) {
    if (outbox.size() + batch.size() > MAX_OUTBOX) {
      LOG.error("ledger: {} events wait for a leader; refusing more", outbox.size());
      new BusError(503, "LEDGER_BACKLOG", "the ledger has " + outbox.size() + " events waiting for a leader")
          .failOn(msg);
      return;
    }
    outbox.addAll(batch);
    kick();
  }

  /** @return what is wrong with an event, {@code null} if nothing */
  private static String problem(JsonObject e) {
    String type = e.getValue("type") instanceof String s ? s : null;
    if (type == null || !LedgerEvent.validType(type)) {
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

  private Pending local(JsonObject e, Message<JsonObject> replyTo) {
    JsonObject data = e.getJsonObject("data");
    Number t = (Number) e.getValue("term");
    return local(new LedgerEvent(e.getString("type"), e.getString("subject"), t == null ? 0L : t.longValue(),
        data == null ? "{}" : data.encode()), System.currentTimeMillis(), replyTo);
  }

  /** @return an event of this node's, waiting to be sequenced under an id of its own */
  private Pending local(LedgerEvent e, long time, Message<?> replyTo) {
    return new Pending(nodeId + "/" + runId + "/" + (++eventCounter), time, e.type(), nodeId, e.subject(), e.term(),
        e.data(), replyTo);
  }

  /** Events another node forwards to this leader. */
  private void onForwarded(Message<JsonObject> msg) {
    if (!leading || !ready) {
      new BusError(503, "NOT_LEADER", "this node is not sequencing the ledger").failOn(msg);
      return;
    }
    JsonArray events = msg.body() == null ? null : msg.body().getJsonArray("events");
    if (events == null || events.isEmpty()) {
      new BusError(400, "INVALID_EVENT", "a forward needs 'events'").failOn(msg);
      return;
    }
    List<Pending> batch = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      JsonObject e = events.getJsonObject(i);
      String problem = e == null || !(e.getValue("type") instanceof String type && LedgerEvent.validType(type))
          || !(e.getValue("eid") instanceof String && e.getValue("nodeId") instanceof String
          && e.getValue("time") instanceof Number && e.getValue("data") instanceof String
          && e.getValue("term") instanceof Number)
          || e.getValue("subject") != null && !(e.getValue("subject") instanceof String)
          ? "a forwarded event needs 'eid', 'type', 'nodeId', 'time', 'term', 'data' (text) and maybe 'subject'"
          : null;
      if (problem != null) {
        new BusError(400, "INVALID_EVENT", "events[" + i + "]: " + problem).failOn(msg);
        return;
      }
      if (sequencedIds.contains(e.getString("eid"))) {
        continue; // a retry of a forward this leader already committed
      }
      batch.add(new Pending(e.getString("eid"), e.getLong("time"), e.getString("type"), e.getString("nodeId"),
          e.getString("subject"), e.getLong("term", 0L), e.getString("data"), null));
    }
    if (batch.isEmpty()) {
      msg.reply(new JsonObject().put("ok", true));
      return;
    }
    // Reply once the last of them is committed.
    Pending last = batch.remove(batch.size() - 1);
    batch.add(new Pending(last.eid, last.time, last.type, last.origin, last.subject, last.term, last.data, msg));
    outbox.addAll(batch);
    kick();
  }

  // ---- the one-at-a-time loop --------------------------------------------------------------------------

  /** Starts the next piece of work, if nothing is in progress. */
  private void kick() {
    if (!leading && !forwarding && !outbox.isEmpty() && leaderId != null && !leaderId.equals(nodeId)) {
      forward();
    }
    if (busy) {
      return;
    }
    if (leading) {
      if (!ready && catchUpTerm == term) {
        // Until the heads are in, nothing else: a repair from the last source (often the dead leader) would
        // end in sequencing from our own head while a member holds a longer chain.
        if (askedHeadsTerm != term) {
          if (!inbound.isEmpty() && !needRepair) {
            apply(takeInbound());
          } else {
            askedHeadsTerm = term;
            catchUp(term);
          }
        }
        return;
      }
      if (ready && !outbox.isEmpty()) {
        commit();
      } else if (!ready && needRepair && drained == null) {
        repair();
      } else if (drained != null) {
        drained.tryComplete();
      }
      return;
    }
    if (!inbound.isEmpty()) {
      apply(takeInbound());
    } else if (needRepair && source != null && !source.equals(nodeId) && drained == null) {
      repair(); // not while stopping: a fetch from a leader that may be stopping too could hold the stop
    } else if (drained != null) {
      drained.tryComplete();
    }
  }

  private void done() {
    busy = false;
    kick();
  }

  /** The leader chains a batch of the outbox, commits it, and replicates it. */
  private void commit() {
    busy = true;
    List<Pending> batch = new ArrayList<>(Math.min(MAX_BATCH, outbox.size()));
    while (batch.size() < MAX_BATCH && !outbox.isEmpty()) {
      batch.add(outbox.poll());
    }
    List<String> subjects = batch.stream().filter(LedgerVerticle::recovered).map(p -> p.subject).distinct().toList();
    if (subjects.isEmpty()) {
      commit(batch, batch);
      return;
    }
    long myTerm = term;
    recordedKeys(subjects).onComplete(ar -> {
      if (!leading || term != myTerm) {
        busy = false; // the events go to the next leader
        putBack(batch);
        kick();
        return;
      }
      if (ar.failed()) {
        LOG.warn("ledger: could not check {} recovered event(s) against the chain: {}", subjects.size(),
            ar.cause().getMessage());
        busy = false;
        putBack(batch);
        retryLater();
        return;
      }
      Set<String> recorded = ar.result();
      List<Pending> kept = new ArrayList<>(batch.size());
      for (Pending p : batch) {
        if (p.subject == null || recorded.add(recordKey(p.subject, p.type)) || !recovered(p)) {
          kept.add(p);
        }
      }
      if (kept.size() < batch.size()) {
        LOG.info("ledger: {} recovered event(s) already in the chain, not recorded again", batch.size() - kept.size());
      }
      commit(batch, kept);
    });
  }

  /** Returns events to the front of the outbox, in their order. */
  private void putBack(List<Pending> batch) {
    for (int i = batch.size() - 1; i >= 0; i--) {
      outbox.addFirst(batch.get(i));
    }
  }

  /**
   * Whether an event was recorded again by a recovery: the ends a new leader records for tasks the last one did
   * not ({@code recordMissingEnds}) and the task events a rejoining node re-records from the entries it set
   * aside. Either may race with the other, or with an end still on its way from a node that is no longer leader;
   * so the leader drops a recovered event when the chain already has an event of that type for its task (any
   * end, for an end), which keeps "each task's end recorded once" whatever the order.
   */
  private static boolean recovered(Pending p) {
    return p.subject != null && p.data.endsWith("\"recovered\":true}"); // its last field, as both write it
  }

  private static String recordKey(String subject, String type) {
    return subject + '\n' + (LedgerEventTypes.TASK_COMPLETED.equals(type) || LedgerEventTypes.TASK_FAILED.equals(type)
        || LedgerEventTypes.TASK_CANCELLED.equals(type) ? "END" : type);
  }

  /** @return {@link #recordKey}s of the events the chain holds for these subjects */
  private Future<Set<String>> recordedKeys(List<String> subjects) {
    List<Future<RowSet<Row>>> parts = new ArrayList<>();
    for (int i = 0; i < subjects.size(); i += 500) {
      List<String> chunk = subjects.subList(i, Math.min(subjects.size(), i + 500));
      Tuple args = Tuple.tuple();
      chunk.forEach(args::addString);
      parts.add(db.reader().preparedQuery("SELECT DISTINCT subject, type FROM ledger WHERE subject IN ("
          + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")").execute(args));
    }
    return Future.all(parts).map(all -> {
      Set<String> keys = new HashSet<>();
      parts.forEach(f -> f.result().forEach(r -> keys.add(recordKey(r.getString("subject"), r.getString("type")))));
      return keys;
    });
  }

  /** Chains and stores {@code kept} (of {@code batch}), then answers everyone in {@code batch}. */
  private void commit(List<Pending> batch, List<Pending> kept) {
    if (kept.isEmpty()) {
      batch.forEach(p -> {
        if (!nodeId.equals(p.origin)) {
          remember(p.eid);
        }
        if (p.msg != null) {
          p.msg.reply(new JsonObject().put("ok", true).put("seq", lastSeq));
        }
      });
      done();
      return;
    }
    List<Entry> entries = new ArrayList<>(kept.size());
    long seq = lastSeq;
    String prev = lastHash;
    for (Pending p : kept) {
      seq++;
      String hash = LedgerChain.hash(prev, seq, p.time, p.type, p.origin, p.subject, p.term, p.data);
      entries.add(new Entry(seq, p.time, p.type, p.origin, p.subject, p.term, p.data, prev, hash));
      prev = hash;
    }
    long myTerm = term;
    insert(entries).onComplete(ar -> {
      if (ar.succeeded()) {
        JsonArray wire = wireOf(entries);
        advance(entries, wire);
        for (Pending p : batch) {
          if (!nodeId.equals(p.origin)) {
            remember(p.eid); // only forwarded events can come again; this node's own are committed once
          }
        }
        replicate(myTerm, Replication.batch(entries));
        storageFaults = 0;
      } else if (DatabaseException.isStorageFault(ar.cause())) {
        // The disk is full or failing (the database logged it): this node's own events wait in the outbox and
        // are tried again, answered once committed; forwarded ones are refused below, and their nodes send them
        // again (taking them back too would commit them twice).
        putBack(batch.stream().filter(p -> nodeId.equals(p.origin)).toList());
        for (Pending p : batch) {
          if (p.msg != null && !nodeId.equals(p.origin)) {
            new BusError(503, "LEDGER_UNAVAILABLE", "the ledger could not be written: " + ar.cause().getMessage())
                .failOn(p.msg);
          }
        }
        storageFaults++;
        busy = false;
        retryLater(Math.min(RETRY_MAX_MS, RETRY_MS * storageFaults));
        return;
      } else {
        LOG.error("ledger append of {} event(s) failed", batch.size(), ar.cause());
      }
      for (Pending p : batch) {
        if (p.msg == null) {
          continue;
        }
        if (ar.succeeded()) {
          p.msg.reply(new JsonObject().put("ok", true).put("seq", lastSeq));
        } else {
          new BusError(503, "LEDGER_UNAVAILABLE", "the ledger could not be written: " + ar.cause().getMessage())
              .failOn(p.msg);
        }
      }
      done();
    });
  }

  private void remember(String eid) {
    sequencedIds.add(eid);
    if (sequencedIds.size() > REMEMBERED_IDS) {
      var it = sequencedIds.iterator();
      it.next();
      it.remove();
    }
  }

  /** A follower sends its oldest events to the leader; they leave the outbox once the leader has them. */
  private void forward() {
    String to = leaderId;
    List<Pending> batch = new ArrayList<>(Math.min(MAX_BATCH, outbox.size()));
    JsonArray wire = new JsonArray();
    for (Pending p : outbox) {
      if (batch.size() == MAX_BATCH) {
        break;
      }
      batch.add(p);
      wire.add(p.toWire());
    }
    forwarding = true;
    vertx.eventBus().<JsonObject>request(LedgerAddresses.append(to), new JsonObject().put("events", wire), PEER)
        .onComplete(ar -> {
          forwarding = false;
          if (ar.succeeded()) {
            for (Pending p : batch) {
              outbox.remove(p);
              if (p.msg != null) {
                p.msg.reply(new JsonObject().put("ok", true));
              }
            }
            kick();
          } else if (BusError.from(ar.cause()).status() == 400) {
            // The leader refuses them for good (a bug, not a passing failure): log, drop, go on.
            LOG.error("ledger: the leader refused {} event(s): {}", batch.size(), ar.cause().getMessage());
            batch.forEach(outbox::remove);
            kick();
          } else {
            LOG.debug("ledger: forwarding {} event(s) to {} failed: {}", batch.size(), to, ar.cause().getMessage());
            retryLater();
          }
        });
  }

  private void retryLater() {
    retryLater(RETRY_MS);
  }

  private void retryLater(long ms) {
    if (!retryScheduled) {
      retryScheduled = true;
      vertx.setTimer(ms, id -> {
        retryScheduled = false;
        kick();
      });
    }
  }

  // ---- replication -------------------------------------------------------------------------------------

  /** The leader's replication stream: committed batches, and a heartbeat with its head every second. */
  private void onReplicate(Message<Buffer> msg) {
    String from = msg.headers().get(LedgerAddresses.HEADER_LEADER);
    long t = parseTerm(msg.headers().get(LedgerAddresses.HEADER_TERM));
    if (from == null || nodeId.equals(from) || t < sourceTerm || leading && ready) {
      return;
    }
    Replication.Message m;
    try {
      m = Replication.read(msg.body());
    } catch (IllegalArgumentException e) {
      LOG.warn("ledger: unreadable replication message from {} dropped: {}", from, e.getMessage());
      return;
    }
    source = from;
    sourceTerm = t;
    if (m.entries() != null) {
      if (inbound.size() >= MAX_INBOUND) {
        inbound.clear(); // too far behind: fetch instead
        needRepair = true;
      } else if (!m.entries().isEmpty()) {
        inbound.add(m.entries());
      }
    } else if (!headKnown(m.headSeq(), m.headHash())) {
      needRepair = true;
    }
    kick();
  }

  /**
   * Whether a leader's heartbeat names a head this follower has stored, or has received and not yet stored. The
   * leader's messages arrive in order, so the batches it published before the heartbeat are here, maybe still
   * queued: comparing with the stored head alone made every heartbeat under load fetch up to 1,000 entries the
   * follower was about to store. A head before one still queued (a new leader's) is left to the queued batches'
   * own checks and the next heartbeat.
   */
  private boolean headKnown(long seq, String hash) {
    if (seq <= lastSeq) {
      return seq == lastSeq && lastHash.equals(hash);
    }
    Entry received = !inbound.isEmpty() ? inbound.peekLast().get(inbound.peekLast().size() - 1) : applying;
    return received != null && (seq < received.seq() || seq == received.seq() && received.hash().equals(hash));
  }

  private static long parseTerm(String header) {
    try {
      return header == null ? 0 : Long.parseLong(header);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private void heartbeat() {
    if (leading && ready) {
      replicate(term, Replication.head(lastSeq, lastHash));
    } else if (!outbox.isEmpty() || needRepair) {
      kick();
    }
  }

  /** A follower applies a replicated batch that continues its chain; anything else makes it repair. */
  /**
   * @return the replicated batches waiting, joined up to {@value #MAX_BATCH} entries: what queued while the last
   *     one was stored goes into one transaction, not one each
   */
  private List<Entry> takeInbound() {
    List<Entry> first = inbound.poll();
    if (inbound.isEmpty()) {
      return first;
    }
    List<Entry> joined = new ArrayList<>(first);
    while (!inbound.isEmpty() && joined.size() + inbound.peek().size() <= MAX_BATCH) {
      joined.addAll(inbound.poll());
    }
    return joined;
  }

  private void apply(List<Entry> batch) {
    List<Entry> fresh = new ArrayList<>(batch.size());
    for (Entry e : batch) {
      if (e.seq() > lastSeq) {
        fresh.add(e);
      } else if (e.seq() == lastSeq && !e.hash().equals(lastHash)) {
        needRepair = true; // our last entry is not the cluster's: repair finds where we forked
        inbound.clear();
        kick();
        return;
      }
    }
    if (fresh.isEmpty()) {
      kick();
      return;
    }
    String problem = continues(fresh);
    if (problem != null) {
      LOG.debug("ledger: replicated batch from seq {} not applied ({}); repairing", fresh.get(0).seq(), problem);
      needRepair = true;
      inbound.clear();
      kick();
      return;
    }
    busy = true;
    applying = fresh.get(fresh.size() - 1);
    insert(fresh).onComplete(ar -> {
      applying = null;
      if (ar.succeeded()) {
        advance(fresh, wireOf(fresh));
      } else if (DatabaseException.isStorageFault(ar.cause())) {
        // The disk is full or failing (the database logged it): fetched again once it has room.
        needRepair = true;
        busy = false;
        retryLater(RETRY_MAX_MS);
        return;
      } else {
        LOG.error("ledger: storing {} replicated entries failed", fresh.size(), ar.cause());
        needRepair = true;
      }
      done();
    });
  }

  /** @return why the entries do not continue this node's chain, {@code null} if they do */
  private String continues(List<Entry> entries) {
    long expected = lastSeq + 1;
    String prev = lastHash;
    for (Entry e : entries) {
      if (e.seq() != expected) {
        return "expected seq " + expected + ", got " + e.seq();
      }
      if (!prev.equals(e.prevHash())) {
        return "entry " + e.seq() + " does not follow our entry " + (e.seq() - 1);
      }
      if (!e.hashOk()) {
        return "entry " + e.seq() + " does not match its hash";
      }
      prev = e.hash();
      expected++;
    }
    return null;
  }

  /** Fetches the entries after our head from {@link #source}, handling a checkpoint and a fork. */
  private void repair() {
    String from = source;
    busy = true;
    long myTerm = term;
    vertx.eventBus().<JsonObject>request(LedgerAddresses.range(from), new JsonObject().put("after", lastSeq)
            .put("limit", RANGE_LIMIT), PEER)
        .onComplete(ar -> {
          if (drained != null) {
            busy = false; // stopping: what was fetched is fetched again at the next start
            kick();
            return;
          }
          if (ar.failed()) {
            LOG.debug("ledger: fetching from {} failed: {}", from, ar.cause().getMessage());
            busy = false;
            if (leading && term == myTerm && !ready) {
              LOG.warn("ledger: could not catch up from {} ({}); sequencing from our own head {}", from,
                  ar.cause().getMessage(), lastSeq);
              needRepair = false;
              becomeReady(myTerm);
            } else {
              retryLater();
            }
            return;
          }
          JsonObject r = ar.result().body();
          Future<Void> step;
          if (r.getJsonObject("checkpoint") != null && r.getJsonObject("checkpoint").getLong("seq") > lastSeq) {
            step = install(Checkpoint.fromJson(r.getJsonObject("checkpoint")));
          } else {
            List<Entry> entries = new ArrayList<>();
            for (Object o : r.getJsonArray("entries", new JsonArray())) {
              entries.add(Entry.fromWire((JsonObject) o));
            }
            long theirHead = r.getLong("headSeq", 0L);
            if (entries.isEmpty() && (theirHead < lastSeq
                || theirHead == lastSeq && !lastHash.equals(r.getString("headHash")))) {
              // We hold entries beyond the source's head, or another entry at its head: a deposed leader's.
              step = resolveFork(from);
            } else if (entries.isEmpty()) {
              needRepair = false;
              step = Future.succeededFuture();
            } else if (entries.get(0).seq() == lastSeq + 1 && !entries.get(0).prevHash().equals(lastHash)) {
              step = resolveFork(from);
            } else {
              String problem = continues(entries);
              if (problem != null) {
                step = Future.failedFuture("the entries from " + from + " do not chain: " + problem);
              } else {
                step = insert(entries).onSuccess(v -> advance(entries, wireOf(entries)));
                if (entries.size() < RANGE_LIMIT) {
                  needRepair = false;
                }
              }
            }
          }
          step.compose(v -> needRepair || !unsettledOrphans ? Future.<Void>succeededFuture() : settleOrphans()
              .recover(err -> {
                LOG.warn("ledger: could not check the entries set aside against the chain: {}", err.getMessage());
                needRepair = true; // fetch (nothing) again and retry
                return Future.succeededFuture();
              })).onComplete(s -> {
                boolean storage = s.failed() && DatabaseException.isStorageFault(s.cause());
                if (s.failed() && !storage) {
                  LOG.warn("ledger: repair from {} failed: {}", from, s.cause().getMessage());
                }
                busy = false;
                if (leading && term == myTerm && !ready && (!needRepair || s.failed())) {
                  needRepair = false;
                  becomeReady(myTerm);
                } else if (s.failed()) {
                  retryLater(storage ? RETRY_MAX_MS : RETRY_MS);
                } else {
                  kick();
                }
              });
        });
  }

  /**
   * Our chain and the source's differ after some entry: find the last entry we share (within the last
   * {@value #RANGE_LIMIT}), move ours after it to {@code ledger_orphans}, and continue from there.
   */
  private Future<Void> resolveFork(String from) {
    long after = Math.max(firstSeq - 1, lastSeq - RANGE_LIMIT);
    var bus = vertx.eventBus();
    return bus.<JsonObject>request(LedgerAddresses.range(from), new JsonObject().put("after", after)
            .put("limit", RANGE_LIMIT), PEER)
        .compose(theirs -> db.reader().preparedQuery("SELECT seq, hash FROM ledger WHERE seq > ? ORDER BY seq")
            .execute(Tuple.of(after)).map(ours -> {
              Map<Long, String> mine = new HashMap<>();
              ours.forEach(r -> mine.put(r.getLong("seq"), r.getString("hash")));
              long forkAt = after + 1;
              for (Object o : theirs.body().getJsonArray("entries", new JsonArray())) {
                JsonObject e = (JsonObject) o;
                if (!e.getString("hash").equals(mine.get(e.getLong("seq")))) {
                  break;
                }
                forkAt = e.getLong("seq") + 1;
              }
              return forkAt;
            }))
        .compose(this::orphanFrom);
  }

  private Future<Void> orphanFrom(long seq) {
    long now = System.currentTimeMillis();
    return db.write(w -> {
      w.update("INSERT INTO ledger_orphans (" + COLUMNS + ", orphaned_at) SELECT " + COLUMNS
          + ", ? FROM ledger WHERE seq >= ?", now, seq);
      int n = w.update("DELETE FROM ledger WHERE seq >= ?", seq);
      List<JsonObject> rows = w.query("SELECT hash FROM ledger WHERE seq = ?", seq - 1);
      return new Object[] {n, rows.isEmpty() ? null : rows.get(0).getString("hash")};
    })
        .map(res -> {
          int moved = (Integer) res[0];
          LOG.warn("ledger: our entries from seq {} are not the cluster's; moved {} to ledger_orphans", seq, moved);
          lastSeq = seq - 1;
          lastHash = res[1] != null ? (String) res[1]
              : checkpoint != null && checkpoint.seq() == seq - 1 ? checkpoint.hash() : LedgerChain.GENESIS;
          needRepair = true;
          unsettledOrphans = true;
          orphanings++;
          return null;
        });
  }

  /** The task lifecycle events a node re-records from its orphans when the cluster's chain lacks them. */
  private static final Set<String> TASK_EVENTS = Set.of(LedgerEventTypes.TASK_SUBMITTED,
      LedgerEventTypes.TASK_ASSIGNED, LedgerEventTypes.TASK_ACKNOWLEDGED, LedgerEventTypes.TASK_STARTED,
      LedgerEventTypes.TASK_RETRYING, LedgerEventTypes.TASK_REQUEUED, LedgerEventTypes.TASK_COMPLETED,
      LedgerEventTypes.TASK_FAILED, LedgerEventTypes.TASK_CANCELLED);

  /**
   * This node has caught up with the cluster's chain after setting entries aside (maybe before a restart: a node
   * merged back after a partition restarts, ADR 19). A cut-off leader runs and ends tasks until it notices the
   * cut; those tasks come back to the cluster with the map's merge, but their events went to the orphans. Of the
   * set-aside task events, those whose task has no event of that type in the chain are recorded again (in their
   * order, with the term they had, their data marked {@code "recovered": true}), so every task's end is in the
   * cluster's ledger once. {@code LEDGER_ENTRIES_ORPHANED} says what was set aside and how many were recorded
   * again. The entries are marked settled before the events join the outbox.
   */
  private Future<Void> settleOrphans() {
    record Settled(List<LedgerEvent> again, int entries, long fromSeq) {
    }
    int generation = orphanings;
    return db.write(w -> {
      List<JsonObject> rows = w.query("SELECT rowid AS row_id, seq, type, subject, term, data FROM ledger_orphans "
          + "WHERE settled_at IS NULL ORDER BY orphaned_at, seq");
      if (rows.isEmpty()) {
        return new Settled(List.of(), 0, 0);
      }
      List<JsonObject> events = rows.stream().filter(r -> r.getString("subject") != null
          && TASK_EVENTS.contains(r.getString("type"))).toList();
      Set<String> inChain = new HashSet<>();
      List<String> subjects = events.stream().map(r -> r.getString("subject")).distinct().toList();
      for (int i = 0; i < subjects.size(); i += 500) {
        List<String> chunk = subjects.subList(i, Math.min(subjects.size(), i + 500));
        w.query("SELECT DISTINCT subject, type FROM ledger WHERE subject IN ("
                + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")", chunk.toArray())
            .forEach(r -> inChain.add(r.getString("subject") + '\n' + r.getString("type")));
      }
      List<LedgerEvent> again = new ArrayList<>();
      for (JsonObject r : events) {
        if (inChain.add(r.getString("subject") + '\n' + r.getString("type"))) {
          JsonObject data = new JsonObject(r.getString("data"));
          data.remove("recovered"); // last, where the leader looks for it
          data.put("recovered", true);
          again.add(new LedgerEvent(r.getString("type"), r.getString("subject"), r.getLong("term"),
              data.encode()));
        }
      }
      long lastRow = rows.stream().mapToLong(r -> r.getLong("row_id")).max().orElseThrow();
      w.update("UPDATE ledger_orphans SET settled_at = ? WHERE settled_at IS NULL AND rowid <= ?",
          System.currentTimeMillis(), lastRow);
      return new Settled(again, rows.size(), rows.stream().mapToLong(r -> r.getLong("seq")).min().orElseThrow());
    }).map(s -> {
      if (orphanings == generation) {
        unsettledOrphans = false; // else entries set aside meanwhile wait for the next catch-up
      }
      if (s.entries() > 0) {
        LOG.warn("ledger: caught up after setting {} entries aside; recorded {} task event(s) among them again",
            s.entries(), s.again().size());
        outbox.add(local(new JsonObject().put("type", LedgerEventTypes.LEDGER_ENTRIES_ORPHANED)
            .put("subject", nodeId).put("data", new JsonObject().put("fromSeq", s.fromSeq())
                .put("entries", s.entries()).put("recordedAgain", s.again().size())), null));
        long now = System.currentTimeMillis();
        s.again().forEach(e -> outbox.add(local(e, now, null)));
      }
      return null;
    });
  }

  /** The source pruned past our head: take its checkpoint and drop our older entries (pruned cluster-wide). */
  private Future<Void> install(Checkpoint cp) {
    if (!cp.signatureOk()) {
      return Future.failedFuture("the checkpoint at seq " + cp.seq() + " from " + cp.nodeId() + " is not signed "
          + "by the key it names");
    }
    return db.write(w -> {
      w.batch(INSERT_CHECKPOINT, List.of(cp.toTuple()));
      return w.update("DELETE FROM ledger WHERE seq <= ?", cp.seq());
    })
        .onSuccess(v -> {
          LOG.info("ledger: took the checkpoint at seq {} from {}", cp.seq(), cp.nodeId());
          checkpoint = cp;
          lastSeq = cp.seq();
          lastHash = cp.hash();
          firstSeq = cp.seq() + 1;
        })
        .mapEmpty();
  }

  /** Serves another node's repair: entries after a seq, oldest first, and our checkpoint if it is needed. */
  private void onRange(Message<JsonObject> msg) {
    long after = msg.body().getLong("after", 0L);
    int limit = Math.max(1, Math.min(RANGE_LIMIT, msg.body().getInteger("limit", RANGE_LIMIT)));
    JsonObject reply = new JsonObject().put("headSeq", lastSeq).put("headHash", lastHash);
    if (after + 1 < firstSeq && checkpoint != null) {
      msg.reply(reply.put("checkpoint", checkpoint.toJson()).put("entries", new JsonArray()));
      return;
    }
    db.reader().preparedQuery("SELECT " + COLUMNS + " FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?")
        .execute(Tuple.of(after, limit))
        .onSuccess(rows -> {
          JsonArray out = new JsonArray(new ArrayList<>(rows.size()));
          rows.forEach(r -> out.add(Entry.of(r).toWire()));
          msg.reply(reply.put("entries", out));
        })
        .onFailure(err -> new BusError(503, "LEDGER_UNAVAILABLE", err.getMessage()).failOn(msg));
  }

  // ---- storage -----------------------------------------------------------------------------------------

  private Future<Void> insert(List<Entry> entries) {
    List<Tuple> rows = new ArrayList<>(entries.size());
    entries.forEach(e -> rows.add(e.toTuple()));
    return db.write(w -> {
      w.batch(INSERT, rows);
      return (Void) null;
    });
  }

  /**
   * Moves the head past committed entries and tells this node's listeners.
   *
   * @param wire the entries' wire form ({@link Entry#toWire}), which listeners read without a copy
   */
  private void advance(List<Entry> entries, JsonArray wire) {
    Entry last = entries.get(entries.size() - 1);
    lastSeq = last.seq();
    lastHash = last.hash();
    vertx.eventBus().publish(LedgerAddresses.COMMITTED, new JsonObject().put("entries", wire), LOCAL);
  }

  private static JsonArray wireOf(List<Entry> entries) {
    JsonArray wire = new JsonArray(new ArrayList<>(entries.size()));
    entries.forEach(e -> wire.add(e.toWire()));
    return wire;
  }

  /**
   * Publishes to every node's {@link LedgerAddresses#REPLICATE}, encoded once ({@link Replication}): the event
   * bus would encode a JSON body again for every node it goes to (and copy it for this node's own consumer). The
   * sender and term ride in headers, so a receiver drops its own publish and stale ones without decoding them.
   */
  private void replicate(long myTerm, Buffer body) {
    vertx.eventBus().publish(LedgerAddresses.REPLICATE, body, new DeliveryOptions()
        .addHeader(LedgerAddresses.HEADER_LEADER, nodeId).addHeader(LedgerAddresses.HEADER_TERM, Long.toString(myTerm)));
  }

  // ---- retention ---------------------------------------------------------------------------------------

  /** Prunes entries beyond the retention limits, leaving a signed checkpoint for the chain after them. */
  private void prune() {
    prune(null);
  }

  private void prune(Message<JsonObject> msg) {
    if (busy) {
      if (msg != null) {
        vertx.setTimer(20, id -> prune(msg));
      }
      return;
    }
    long byCount = retention.maxEntries() > 0 ? lastSeq - retention.maxEntries() : 0;
    long cutoff = retention.maxAgeMs() > 0 ? System.currentTimeMillis() - retention.maxAgeMs() : Long.MIN_VALUE;
    busy = true;
    db.reader().preparedQuery("SELECT COALESCE(MAX(seq), 0) AS s FROM ledger WHERE time < ?").execute(
            Tuple.of(cutoff))
        .compose(rows -> {
          long cut = Math.min(lastSeq, Math.max(byCount, rows.iterator().next().getLong("s")));
          if (cut < firstSeq) {
            return Future.succeededFuture();
          }
          long first = firstSeq;
          Checkpoint previous = checkpoint;
          return db.write(w -> {
            String hash = w.query("SELECT hash FROM ledger WHERE seq = ?", cut).get(0).getString("hash");
            long pruned = (previous == null ? 0 : previous.pruned()) + (cut - first + 1);
            long now = System.currentTimeMillis();
            Checkpoint cp = new Checkpoint(cut, hash, now, pruned, nodeId, signer.publicKey(),
                signer.sign(cut, hash, now, pruned));
            w.batch(INSERT_CHECKPOINT, List.of(cp.toTuple()));
            w.update("DELETE FROM ledger WHERE seq <= ?", cut);
            return cp;
          })
              .onSuccess(cp -> {
                LOG.info("ledger: pruned entries {} to {}; signed checkpoint at seq {}", firstSeq, cp.seq(), cp.seq());
                checkpoint = cp;
                firstSeq = cp.seq() + 1;
              })
              .mapEmpty();
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.error("ledger: pruning failed", ar.cause());
          }
          if (msg != null) {
            if (ar.succeeded()) {
              msg.reply(new JsonObject().put("checkpoint", checkpoint == null ? null : checkpoint.toJson())
                  .put("firstSeq", firstSeq));
            } else {
              new BusError(503, "LEDGER_UNAVAILABLE", ar.cause().getMessage()).failOn(msg);
            }
          }
          done();
        });
  }

  // ---- reading -----------------------------------------------------------------------------------------

  /**
   * Entries newest first, filtered by type, subject and time; the cursor is the seq to continue below. With
   * {@code after}, the entries after that seq, oldest first (for the live event stream and exports).
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
    String type = q.getString("type");
    if (type != null) {
      sql.append(" AND type = ?");
      args.addString(type);
      if (!FREQUENT_TYPES.contains(type)) {
        // The partial index's own condition (migration V8), so that SQLite knows it may use it.
        sql.append(" AND ").append(RARE_TYPE);
      }
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
        out.add(Entry.of(r).toJson());
      }
      msg.reply(new JsonObject().put("entries", out).put("nextCursor", out.size() == limit ? last : null)
          .put("headSeq", lastSeq));
    }).onFailure(err -> new BusError(503, "LEDGER_UNAVAILABLE", err.getMessage()).failOn(msg));
  }

  private void onRecorded(Message<JsonObject> msg) {
    if (leading && !ready) {
      waitingForReady.add(msg);
      return;
    }
    JsonArray subjects = msg.body().getJsonArray("subjects", new JsonArray());
    JsonArray types = msg.body().getJsonArray("types", new JsonArray());
    if (subjects.isEmpty() || types.isEmpty()) {
      msg.reply(new JsonObject().put("recorded", new JsonArray()));
      return;
    }
    String typeMarks = String.join(", ", java.util.Collections.nCopies(types.size(), "?"));
    List<Future<RowSet<Row>>> parts = new ArrayList<>();
    for (int i = 0; i < subjects.size(); i += 500) {
      List<Object> chunk = subjects.getList().subList(i, Math.min(subjects.size(), i + 500));
      Tuple args = Tuple.tuple();
      chunk.forEach(args::addValue);
      types.forEach(args::addValue);
      parts.add(db.reader().preparedQuery("SELECT DISTINCT subject FROM ledger WHERE subject IN ("
          + String.join(", ", java.util.Collections.nCopies(chunk.size(), "?")) + ") AND type IN (" + typeMarks
          + ")").execute(args));
    }
    Future.all(parts).onSuccess(all -> {
      JsonArray out = new JsonArray();
      for (Future<RowSet<Row>> f : parts) {
        f.result().forEach(r -> out.add(r.getString("subject")));
      }
      msg.reply(new JsonObject().put("recorded", out));
    }).onFailure(err -> new BusError(503, "LEDGER_UNAVAILABLE", err.getMessage()).failOn(msg));
  }

  /** Walks the whole chain in order from the checkpoint (if any), recomputing every hash. */
  private void onVerify(Message<JsonObject> msg) {
    Checkpoint cp = checkpoint;
    Future<JsonObject> walk;
    if (cp != null && !cp.signatureOk()) {
      walk = Future.succeededFuture(new JsonObject().put("ok", false).put("entries", 0)
          .put("firstBroken", new JsonObject().put("seq", cp.seq())
              .put("reason", "the checkpoint's signature does not verify (it was altered)")));
    } else {
      walk = verifyFrom(cp == null ? 0 : cp.seq(), cp == null ? LedgerChain.GENESIS : cp.hash(), 0);
    }
    walk.map(r -> cp == null ? r : r.put("checkpoint", new JsonObject().put("seq", cp.seq())
            .put("pruned", cp.pruned()).put("signedBy", cp.nodeId())))
        .onSuccess(msg::reply)
        .onFailure(err -> new BusError(503, "LEDGER_UNAVAILABLE", err.getMessage()).failOn(msg));
  }

  private Future<JsonObject> verifyFrom(long afterSeq, String prev, long checked) {
    return db.reader().preparedQuery("SELECT " + COLUMNS + " FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?")
        .execute(Tuple.of(afterSeq, VERIFY_PAGE))
        .compose(rows -> {
          long expected = afterSeq + 1;
          String p = prev;
          long n = checked;
          long last = afterSeq;
          for (Row r : rows) {
            Entry e = Entry.of(r);
            String reason = null;
            if (e.seq() != expected) {
              reason = "entries " + expected + " to " + (e.seq() - 1) + " are missing";
            } else if (!p.equals(e.prevHash())) {
              reason = "its previous-hash does not match the entry before it";
            } else if (!e.hashOk()) {
              reason = "its contents do not match its hash (the entry was altered)";
            }
            if (reason != null) {
              return Future.succeededFuture(new JsonObject().put("ok", false).put("entries", n)
                  .put("firstBroken", new JsonObject().put("seq", e.seq()).put("reason", reason)));
            }
            p = e.hash();
            expected = e.seq() + 1;
            last = e.seq();
            n++;
          }
          if (rows.size() < VERIFY_PAGE) {
            return Future.succeededFuture(new JsonObject().put("ok", true).put("entries", n));
          }
          return verifyFrom(last, p, n);
        });
  }
}
