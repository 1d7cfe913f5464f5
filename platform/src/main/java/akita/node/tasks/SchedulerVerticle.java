package akita.node.tasks;

import akita.api.client.JsonTextCodec;
import akita.api.client.TaskClient;
import akita.node.NodeContext;
import akita.node.bus.BusError;
import akita.node.bus.JsonText;
import akita.node.bus.LocalCodec;
import akita.node.cluster.ClusterAddresses;
import akita.node.cluster.ClusterView;
import akita.node.cluster.Member;
import akita.node.cluster.Membership;
import akita.node.cluster.NodeHealth;
import akita.node.cluster.NodeInfo;
import akita.node.ledger.LedgerAddresses;
import akita.node.ledger.LedgerEvent;
import akita.node.ledger.LedgerEventTypes;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryMergedListener;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler: active only on the leader, for one term at a time. It owns every task's record while it
 * leads: it queues, places, assigns (in batches per worker, never beyond a worker's free slots), times out,
 * retries and cancels, and writes every change to the Hazelcast task map and the SQLite mirror in batches
 * before it acknowledges a submit. When it takes over it rebuilds everything from the map (or, after the
 * whole cluster restarted, from the nodes' mirrors) and asks the workers what they are running.
 */
public final class SchedulerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(SchedulerVerticle.class);
  /** The Hazelcast map of task records by id (JSON), with a synchronous backup. */
  public static final String TASK_MAP = "akita.tasks";
  private static final TaskSpec.Limits LEADER_LIMITS = new TaskSpec.Limits(Long.MAX_VALUE,
      TaskSpec.Limits.DEFAULT.defaultTimeoutMs(), TaskSpec.Limits.DEFAULT.defaultAckTimeoutMs(),
      TaskSpec.Limits.DEFAULT.defaultMaxAttempts());
  private static final long TICK_MS = 50;
  private static final long TIMEOUT_GRACE_MS = 1_000;
  private static final long FLUSH_MS = 2;
  /** The longest wait between two tries to store task changes while storing fails (a full disk). */
  private static final long STORE_RETRY_MAX_MS = 1_000;
  /** How often a failure to store that goes on is logged again. */
  private static final long STORE_FAILURE_LOG_MS = 30_000;
  private static final int FLUSH_MAX = 512;
  /** How far back a new leader checks that task ends were recorded in the ledger. */
  private static final long RECENT_ENDS_MS = 15 * 60_000;
  /** How long merged-in task records gather before they are adopted. */
  private static final long MERGE_BATCH_MS = 500;
  /** How many merged-in task records are adopted at a time. */
  private static final int MERGE_CHUNK = 500;
  private static final DeliveryOptions LOCAL = LocalCodec.LOCAL;
  private static final DeliveryOptions LEDGER_DELIVERY = LocalCodec.local(60_000);
  private static final DeliveryOptions MIRROR_DELIVERY = LocalCodec.local(30_000);
  private static final JsonObject REPORTS_STORED = new JsonObject().put("ok", true);
  private static final DeliveryOptions NOTIFY_TEXT = new DeliveryOptions().setCodecName(JsonTextCodec.NAME);
  /** After a whole-cluster restart: how long recovery waits for every expected member when no mirror has data. */
  private static final long RECOVERY_WAIT_MS = 10_000;
  /** ... and when some mirror has: the missing members' mirrors may hold the newest copies of acknowledged tasks. */
  private static final long RECOVERY_WAIT_MAX_MS = 90_000;
  private static final int EVICT_MAX = 50_000;
  private static final long QUARANTINE_MS = 60_000;
  private static final int QUARANTINE_FAILURES = 5;
  private static final long FAILURE_WINDOW_MS = 60_000;

  /** Settings, from the node's configuration. */
  public record Settings(long agingMs, long fairShareQuantumMs, Placement.Weights weights, long retryBaseMs,
      long retryMaxMs, int expectedMembers, long suspectAfterMs, long offlineAfterMs, long retentionMs,
      int retentionMax) {
    /**
     * @param cfg the node's configuration
     * @return the scheduler settings it implies
     */
    public static Settings of(akita.node.config.NodeConfig cfg) {
      Map<String, Double> w = cfg.placementWeights();
      return new Settings(cfg.agingMs(), cfg.fairShareQuantumMs(), new Placement.Weights(w.get("rtt"),
          w.get("load"), w.get("queue"), w.get("reliability"), w.get("cpu"), w.get("affinity")), 200, 30_000,
          cfg.expectedMembers(), cfg.health().suspectAfterMs(), cfg.health().offlineAfterMs(),
          cfg.taskRetentionMs(), cfg.taskRetentionMax());
    }
  }

  private final NodeContext node;
  private final Settings settings;
  private final Membership membership;
  private final HazelcastInstance hz;
  private final Placement placement;

  // ---- state while leading ----
  private long term;
  private final Map<String, Task> tasks = new HashMap<>();
  private final Map<String, String> byKey = new HashMap<>();
  private final Map<String, Placement.Worker> workers = new LinkedHashMap<>();
  private final Map<String, Set<String>> inflight = new HashMap<>();
  private TaskQueue queue;
  private final TaskTimers timers = new TaskTimers();
  private final Set<String> dirty = new HashSet<>();
  private final List<Promise<Void>> flushWaiters = new ArrayList<>();
  /** The last mirror write: the mirror applies writes in order, so when it is done all earlier ones are. */
  private Future<Void> lastMirror = Future.succeededFuture();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  /** State changes waiting for the next flush; reported (ledger, events, metrics) once it has stored them. */
  private List<JsonObject> transitions = new ArrayList<>();
  /**
   * The ledger entries of those changes and of acknowledgements, in the order they happened (each task's
   * SUBMITTED, ASSIGNED, ACKNOWLEDGED, STARTED, end); appended with the next report.
   */
  private List<LedgerEvent> ledgerEntries = new ArrayList<>();
  /** Finished tasks to send to their submitters once stored: notify address → task ids. */
  private Map<String, List<String>> notifications = new HashMap<>();
  /** Finished tasks in the order they ended, to evict from memory and the map after the retention time. */
  private final java.util.ArrayDeque<Task> finished = new java.util.ArrayDeque<>();
  /** Submits waiting for the mirror to say whether their idempotency key belongs to an evicted task. */
  private final Map<String, List<Answer>> keyLookups = new HashMap<>();
  /** How many known tasks are in each state, kept as they change (for the stats, without a scan). */
  private final EnumMap<TaskState, Integer> counts = new EnumMap<>(TaskState.class);
  private ClusterView view;
  private AutoCloseable membershipListener;
  /** This leader's listener for task records a healed partition merges into the map. */
  private UUID mergeListener;
  /**
   * Ids of task records merged into the map, waiting to be adopted ({@value #MERGE_BATCH_MS} ms after the first,
   * {@value #MERGE_CHUNK} at a time, once this leader's takeover is done). Ids only: a whole-cluster restart can
   * merge tens of thousands of records while the leader is still recovering them from the mirrors.
   */
  private final java.util.LinkedHashSet<String> mergedIn = new java.util.LinkedHashSet<>();
  private boolean adopting;
  private IMap<String, String> map;
  private boolean flushing;
  private boolean flushScheduled;
  /** Why storing task changes fails, as new tasks are refused meanwhile; null while it works. */
  private BusError storeProblem;
  private long storeFailingSince;
  private long storeFailures;
  private long storeFailureLoggedAt;
  private boolean pumpScheduled;

  private long seq;
  private Set<String> memberCache;
  private long memberCacheAt;
  private long tickTimer = -1;
  private long viewTimer = -1;

  /**
   * @param node this node
   * @param settings scheduling settings
   * @param membership the cluster membership
   * @param hz the node's Hazelcast member, for the task map
   */
  public SchedulerVerticle(NodeContext node, Settings settings, Membership membership, HazelcastInstance hz) {
    this.node = node;
    this.settings = settings;
    this.membership = membership;
    this.hz = hz;
    this.placement = new Placement(settings.weights());
  }

  @Override
  public Future<?> start() {
    LocalCodec.register(vertx);
    JsonTextCodec.register(vertx);
    var bus = vertx.eventBus();
    bus.<JsonObject>localConsumer(ClusterAddresses.LEADER_CHANGED, m -> onLeaderChanged(m.body()));
    return bus.<JsonObject>request(ClusterAddresses.LEADER_STATE, new JsonObject())
        .onSuccess(m -> onLeaderChanged(m.body()))
        .recover(err -> Future.succeededFuture());
  }

  @Override
  public Future<?> stop() {
    return deactivate("node stopping");
  }

  private void onLeaderChanged(JsonObject state) {
    boolean leading = state.getBoolean("isLeader", false);
    long t = state.getLong("term", 0L);
    if (leading && term != t) {
      Future<Void> before = term != 0 ? deactivate("new term") : Future.succeededFuture();
      before.onComplete(v -> activate(t));
    } else if (!leading && term != 0) {
      deactivate("no longer the leader");
    }
  }

  // ---- taking over and handing over ---------------------------------------------------------------------

  private void activate(long newTerm) {
    term = newTerm;
    long myTerm = newTerm;
    LOG.info("scheduler taking over (term {})", newTerm);
    List<Task> endedBefore = new ArrayList<>();
    queue = new TaskQueue(settings.agingMs(), settings.fairShareQuantumMs());
    map = hz.getMap(TASK_MAP);
    // The same health rules as discovery: a silent worker gets no new tasks (SUSPECT), and its tasks are
    // retried elsewhere once it is OFFLINE.
    view = new ClusterView(settings.suspectAfterMs(), settings.offlineAfterMs(), 60_000);
    var bus = vertx.eventBus();
    consumers.add(bus.<JsonObject>consumer(ClusterAddresses.ANNOUNCE, m -> onAnnounce(m.body())));
    var context = vertx.getOrCreateContext();
    membershipListener = membership.onChange(merged -> context.runOnContext(v -> onMembership()));
    IMap<String, String> tasksMap = map;
    vertx.executeBlocking(() -> tasksMap.addEntryListener((EntryMergedListener<String, String>) e -> {
      String id = e.getKey();
      context.runOnContext(v -> onMerged(myTerm, id));
    }, false), false).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("no listener for task records merged into the map (they wait for the next leader): {}",
            ar.cause().getMessage());
      } else if (term == myTerm) {
        mergeListener = ar.result();
      } else {
        vertx.executeBlocking(() -> tasksMap.removeEntryListener(ar.result()), false);
      }
    });
    seedWorkers()
        .compose(v -> loadTasks())
        .map(v -> {
          tasks.values().stream().filter(t -> t.state().terminal())
              .sorted(java.util.Comparator.comparingLong(Task::finishedAt)).forEach(finished::addLast);
          // The tasks earlier leaders ended: only these may lack their end in the ledger.
          long since = System.currentTimeMillis() - RECENT_ENDS_MS;
          finished.stream().filter(t -> t.finishedAt() >= since).forEach(endedBefore::add);
          dropMergedDuplicates(System.currentTimeMillis());
          return (Void) null;
        })
        .compose(v -> reconcile())
        .compose(v -> {
          if (term != myTerm) {
            return Future.failedFuture("term changed while taking over");
          }
          consumers.add(bus.<JsonObject>consumer(TaskAddresses.LEADER_SUBMIT, this::onSubmit));
          consumers.add(bus.<JsonObject>consumer(TaskAddresses.LEADER_GET, this::onGet));
          consumers.add(bus.<JsonObject>consumer(TaskAddresses.LEADER_CANCEL, this::onCancel));
          consumers.add(bus.<JsonObject>consumer(TaskAddresses.LEADER_RESULTS, this::onResults));
          consumers.add(bus.<JsonObject>consumer(TaskAddresses.LEADER_LIST, this::onList));
          return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
        })
        .onSuccess(v -> {
          tickTimer = vertx.setPeriodic(TICK_MS, id -> tick());
          viewTimer = vertx.setPeriodic(1_000, id -> {
            refreshRtt();
            evict(System.currentTimeMillis());
            publishStats();
          });
          LOG.info("scheduler active (term {}): {} task(s) known, {} queued, {} worker(s)", myTerm, tasks.size(),
              queue.size(), workers.size());
          bus.publish(TaskAddresses.SCHEDULER_STATE, new JsonObject().put("term", myTerm), LOCAL);
          schedulePump();
          recordMissingEnds(myTerm, endedBefore);
        })
        .onFailure(err -> {
          if (term == myTerm) {
            LOG.error("scheduler could not take over (term {}); retrying", myTerm, err);
            deactivate("take-over failed").onComplete(x -> vertx.setTimer(500, id -> activate(myTerm)));
          }
        });
  }

  private Future<Void> deactivate(String why) {
    if (term == 0) {
      return Future.succeededFuture();
    }
    LOG.info("scheduler stopping (term {}): {}", term, why);
    term = 0;
    vertx.eventBus().publish(TaskAddresses.SCHEDULER_STATE, new JsonObject().put("term", 0L), LOCAL);
    if (tickTimer >= 0) {
      vertx.cancelTimer(tickTimer);
      vertx.cancelTimer(viewTimer);
      tickTimer = -1;
    }
    if (membershipListener != null) {
      try {
        membershipListener.close();
      } catch (Exception e) {
        LOG.debug("removing the membership listener: {}", e.getMessage());
      }
    }
    if (mergeListener != null) {
      UUID listener = mergeListener;
      IMap<String, String> tasksMap = map;
      mergeListener = null;
      vertx.executeBlocking(() -> tasksMap.removeEntryListener(listener), false)
          .onFailure(err -> LOG.debug("removing the merge listener: {}", err.getMessage()));
    }
    mergedIn.clear();
    adopting = false;
    List<Future<Void>> closing = consumers.stream().map(MessageConsumer::unregister).toList();
    consumers.clear();
    tasks.clear();
    byKey.clear();
    workers.clear();
    inflight.clear();
    timers.clear();
    dirty.clear();
    transitions = new ArrayList<>();
    ledgerEntries = new ArrayList<>();
    notifications = new HashMap<>();
    counts.clear();
    finished.clear();
    keyLookups.values().forEach(l -> l.forEach(a -> a.fail(new BusError(503, "NO_LEADER",
        "the leader stepped down; retry"))));
    keyLookups.clear();
    flushWaiters.forEach(p -> p.tryFail(new BusError(503, "NO_LEADER", "the leader stepped down; retry")
        .asException()));
    flushWaiters.clear();
    storeProblem = null;
    storeFailures = 0;
    lastMirror = Future.succeededFuture();
    return Future.join(closing).mapEmpty();
  }

  private Future<Void> seedWorkers() {
    return vertx.eventBus().<JsonObject>request(ClusterAddresses.VIEW, new JsonObject().put("raw", true))
        .map(m -> {
          long now = System.currentTimeMillis();
          view.members(membership.members(), now);
          for (Object o : m.body().getJsonArray("nodes", new JsonArray())) {
            JsonObject n = (JsonObject) o;
            if (n.getJsonObject("info") != null && !"OFFLINE".equals(n.getString("state"))) {
              heard(NodeInfo.fromJson(n.getJsonObject("info")), now);
              Double rtt = n.getDouble("rttMs");
              worker(n.getString("id")).rttMs = rtt == null ? 0 : rtt;
            }
          }
          return (Void) null;
        })
        .recover(err -> Future.succeededFuture());
  }

  /** Loads the task records from the map; after a whole-cluster restart (empty map), from the nodes' mirrors. */
  private Future<Void> loadTasks() {
    return vertx.executeBlocking(() -> new HashMap<>(map), false).compose(entries -> {
      if (!entries.isEmpty()) {
        for (String json : entries.values()) {
          Task t = Task.fromJson(new JsonObject(json));
          t.retire(json); // kept as this text if it has ended (ADR 23)
          adopt(t);
        }
        // The mirror of this node may lag the map (it was not the leader): write everything once.
        return mirror(tasks.values().stream().map(t -> t.mirrorRow(t.storedJson())).toList());
      }
      return recoverFromMirrors();
    });
  }

  /**
   * Rebuilds the tasks from the mirrors in two rounds: every mirror's unfinished (and recently ended) tasks, then
   * every mirror's copies of those tasks in any state, since a node that was not the leader may hold a stale
   * unfinished copy of a task another node holds finished. The recently ended ones are there so that
   * recordMissingEnds sees ends that were stored but not recorded in the ledger when every node died. Both rounds
   * go page by page and keep only the newest copy of each task, so memory grows with the tasks, not with the
   * copies (holding every mirror's whole answer at once ran a 256 MiB node out of heap at 20,000 tasks).
   */
  private Future<Void> recoverFromMirrors() {
    Map<String, Task> newest = new HashMap<>();
    return awaitMembersForRecovery()
        .compose(v -> {
          long giveUpAt = System.currentTimeMillis() + RECOVERY_WAIT_MS;
          List<Future<Void>> walks = new ArrayList<>();
          for (Member m : membership.members()) {
            walks.add(walkMirror(m.nodeId(), null, newest, giveUpAt));
          }
          return Future.join(walks).<Void>mapEmpty().recover(err -> Future.succeededFuture());
        })
        .compose(v -> askCopies(new ArrayList<>(newest.keySet()), 0, newest))
        .compose(v -> {
          long open = newest.values().stream().filter(t -> !t.state().terminal()).count();
          if (!newest.isEmpty()) {
            LOG.info("recovered {} task(s) from the nodes' SQLite mirrors: {} unfinished, {} finished "
                + "(recently, or elsewhere)", newest.size(), open, newest.size() - open);
          }
          for (Task t : newest.values()) {
            adopt(t);
          }
          for (Task t : tasks.values()) {
            dirty.add(t.id());
          }
          return flush();
        });
  }

  /** Reads one mirror's unfinished and recently ended tasks page by page after {@code after}, keeping the newest. */
  private Future<Void> walkMirror(String nodeId, JsonArray after, Map<String, Task> newest, long giveUpAt) {
    JsonObject query = new JsonObject().put("recentEndsMs", RECENT_ENDS_MS);
    if (after != null) {
      query.put("after", after);
    }
    return askMirror(nodeId, query, giveUpAt).compose(page -> {
      keepNewest(page, newest);
      JsonArray next = page.getJsonArray("next");
      return next == null ? Future.succeededFuture() : walkMirror(nodeId, next, newest, giveUpAt);
    });
  }

  /** Asks every mirror for its copies of {@code ids}, 500 at a time from {@code from}, keeping the newest. */
  private Future<Void> askCopies(List<String> ids, int from, Map<String, Task> newest) {
    if (from >= ids.size()) {
      return Future.succeededFuture();
    }
    JsonArray chunk = new JsonArray(new ArrayList<>(ids.subList(from, Math.min(ids.size(), from + 500))));
    return askMirrorsRaw(new JsonObject().put("ids", chunk)).compose(answers -> {
      answers.forEach(page -> keepNewest(page, newest));
      return askCopies(ids, from + 500, newest);
    });
  }

  /** Keeps, of each task in a mirror's answer ({@code "stored"}: stored forms as text), the newest copy. */
  private static void keepNewest(JsonObject page, Map<String, Task> newest) {
    for (Object o : page.getJsonArray("stored", new JsonArray())) {
      Task t = Task.fromJson(new JsonObject((String) o));
      t.retire((String) o); // kept as this text if it has ended (ADR 23)
      newest.merge(t.id(), t, (a, b) -> newer(a, b) ? a : b);
    }
  }

  /**
   * Waits for every expected member, so the newest copy of each task is present: at most
   * {@value #RECOVERY_WAIT_MS} ms while no mirror present holds a task (a brand-new cluster started with fewer
   * nodes than expected), else at most {@value #RECOVERY_WAIT_MAX_MS} ms (the cluster had a life before, and the
   * last leader's mirror, the only one with the tasks it acknowledged last, may be among the missing).
   */
  private Future<Void> awaitMembersForRecovery() {
    Promise<Void> waited = Promise.promise();
    long start = System.currentTimeMillis();
    boolean[] probing = {false};
    boolean[] hadLife = {false};
    vertx.setPeriodic(100, id -> {
      long now = System.currentTimeMillis();
      int present = membership.members().size();
      if (present >= settings.expectedMembers() || now - start > RECOVERY_WAIT_MAX_MS || term == 0) {
        vertx.cancelTimer(id);
        waited.tryComplete();
      } else if (now - start > RECOVERY_WAIT_MS && !hadLife[0] && !probing[0]) {
        probing[0] = true;
        askMirrorsRaw(new JsonObject().put("probe", true)).onComplete(ar -> {
          probing[0] = false;
          hadLife[0] = ar.succeeded() && ar.result().stream().anyMatch(r -> r.getBoolean("hasTasks", false));
          if (!hadLife[0]) {
            vertx.cancelTimer(id);
            waited.tryComplete();
          } else {
            LOG.warn("recovering after a whole-cluster restart with {} of {} expected member(s): the others' "
                + "mirrors may hold the newest tasks, so waiting up to {} s for them", present,
                settings.expectedMembers(), RECOVERY_WAIT_MAX_MS / 1000);
          }
        });
      }
    });
    return waited.future();
  }

  /** @return every member's answer to a recovery query (members that do not answer are left out) */
  private Future<List<JsonObject>> askMirrorsRaw(JsonObject query) {
    List<Future<JsonObject>> asks = new ArrayList<>();
    long giveUpAt = System.currentTimeMillis() + RECOVERY_WAIT_MS;
    for (Member m : membership.members()) {
      asks.add(askMirror(m.nodeId(), query, giveUpAt));
    }
    return Future.join(asks).map(all -> {
      List<JsonObject> out = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        if (all.resultAt(i) != null) {
          out.add(all.resultAt(i));
        }
      }
      return out;
    });
  }

  /**
   * Asks one member's mirror. A member that has just joined may not have deployed its store yet (no handler):
   * asked again every 200 ms until {@code giveUpAt}, else its newest tasks would be left out of the recovery
   * (the chaos test's whole-cluster restart lost 12,000 tasks that way when one node started 1.5 s after the
   * others). A member that left, or still does not answer by then, is left out.
   */
  private Future<JsonObject> askMirror(String nodeId, JsonObject query, long giveUpAt) {
    return vertx.eventBus().<JsonObject>request(TaskAddresses.RECOVER_PREFIX + nodeId, query,
            new DeliveryOptions().setSendTimeout(30_000)).map(Message::body)
        .recover(err -> {
          boolean notYet = err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
          boolean stillMember = membership.members().stream().anyMatch(m -> nodeId.equals(m.nodeId()));
          if (notYet && stillMember && term != 0 && System.currentTimeMillis() < giveUpAt) {
            return vertx.timer(200).compose(v -> askMirror(nodeId, query, giveUpAt));
          }
          LOG.warn("the mirror of node {} did not answer the recovery query: {}", nodeId, err.getMessage());
          return Future.succeededFuture(new JsonObject());
        });
  }

  /** Asks every member's mirror ({@code TaskStoreVerticle}) and keeps the newest copy of each task. */
  private Future<Map<String, Task>> askMirrors(JsonObject query) {
    return askMirrorsRaw(query).map(all -> {
      Map<String, Task> newest = new HashMap<>();
      all.forEach(page -> keepNewest(page, newest));
      return newest;
    });
  }

  private static boolean newer(Task a, Task b) {
    return a.term() != b.term() ? a.term() > b.term() : a.version() >= b.version();
  }

  private void adopt(Task t) {
    if (tasks.put(t.id(), t) == null && t.reported() != null) {
      counts.merge(t.reported(), 1, Integer::sum);
    }
    seq = Math.max(seq, t.seq());
    if (t.spec().idempotencyKey() != null) {
      byKey.put(t.spec().idempotencyKey(), t.id());
    }
  }

  private void onMerged(long myTerm, String id) {
    if (term != myTerm || id == null) {
      return;
    }
    mergedIn.add(id);
    if (!adopting) {
      adopting = true;
      vertx.setTimer(MERGE_BATCH_MS, t -> adoptMerged(myTerm));
    }
  }

  /**
   * Adopts the task records a healed partition merged into the map: the cut-off side's tasks this leader has not
   * seen (stored there and answered {@code NOT_STORED}, or run and ended there before it noticed the cut). Without
   * this they would wait unseen until the next leader loads the map. Waiting ones are queued; one assigned on the
   * cut-off side lost its attempt (that node restarts on rejoining, ADR 19) and is retried; ended ones are kept;
   * then merged duplicates of an idempotency key are cancelled. For an unfinished one, a copy the nodes' mirrors
   * hold newer wins (the majority may have ended the task and evicted it from the map meanwhile, and the merge put
   * a stale copy back). {@value #MERGE_CHUNK} records at a time, after the takeover: what the takeover loads needs
   * no adopting.
   */
  private void adoptMerged(long myTerm) {
    if (term != myTerm) {
      return;
    }
    if (tickTimer < 0) { // still taking over
      vertx.setTimer(MERGE_BATCH_MS, t -> adoptMerged(myTerm));
      return;
    }
    List<String> ids = new ArrayList<>(MERGE_CHUNK);
    for (var it = mergedIn.iterator(); it.hasNext() && ids.size() < MERGE_CHUNK; ) {
      String id = it.next();
      it.remove();
      if (!tasks.containsKey(id)) {
        ids.add(id);
      }
    }
    if (ids.isEmpty()) {
      adopting = false;
      return;
    }
    IMap<String, String> tasksMap = map;
    Set<String> keys = new HashSet<>(ids);
    vertx.executeBlocking(() -> tasksMap.getAll(keys), false)
        .compose(found -> {
          List<Task> merged = new ArrayList<>(found.size());
          found.values().forEach(json -> {
            try {
              merged.add(Task.fromJson(new JsonObject(json)));
            } catch (RuntimeException e) {
              LOG.warn("a task record merged into the map is unreadable and was left alone: {}", e.getMessage());
            }
          });
          List<String> open = merged.stream().filter(t -> !t.state().terminal()).map(Task::id).toList();
          return (open.isEmpty() ? Future.succeededFuture(Map.<String, Task>of())
              : askMirrors(new JsonObject().put("ids", new JsonArray(new ArrayList<>(open)))))
              .otherwise(Map.of()).map(mirrored -> {
                if (term == myTerm) {
                  adopt(merged, mirrored);
                }
                return null;
              });
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.warn("could not adopt {} task record(s) merged into the map (they wait for the next leader): {}",
                ids.size(), ar.cause().getMessage());
          }
          if (term == myTerm) {
            vertx.setTimer(1, t -> adoptMerged(myTerm)); // the next chunk, if any
          }
        });
  }

  private void adopt(List<Task> merged, Map<String, Task> mirrored) {
    long now = System.currentTimeMillis();
    int waiting = 0;
    int ended = 0;
    int retried = 0;
    for (Task m : merged) {
      Task copy = mirrored.get(m.id());
      Task t = copy != null && newer(copy, m) ? copy : m;
      if (tasks.containsKey(t.id())) {
        continue;
      }
      adopt(t);
      dirty.add(t.id()); // into this leader's mirror, and the map holds the newer copy
      switch (t.state()) {
        case PENDING -> {
          enqueue(t, now);
          waiting++;
        }
        case RETRYING -> {
          timers.set(t.readyAt(), t.id(), t.attempt(), TaskTimers.Kind.READY);
          waiting++;
        }
        case ASSIGNED, RUNNING -> {
          attemptFailed(t, error("WORKER_LOST", "assigned by a leader cut off from the cluster, whose nodes "
              + "restarted when the partition healed"), true, now);
          retried++;
        }
        default -> {
          finished.addLast(t);
          ended++;
        }
      }
      if (!t.state().terminal() && t.spec().deadline() > 0) {
        timers.set(t.spec().deadline(), t.id(), t.attempt(), TaskTimers.Kind.DEADLINE);
      }
    }
    if (waiting + retried + ended > 0) {
      LOG.warn("adopted {} task record(s) merged in when a partition healed: {} waiting, {} attempt(s) lost and "
          + "retried, {} ended", waiting + retried + ended, waiting, retried, ended);
    }
    dropMergedDuplicates(now);
    scheduleFlush();
    schedulePump();
  }

  /**
   * After a partition heals, Hazelcast's merge puts the task records of the cut-off side beside the majority's
   * (put-if-absent, by task id, ADR 19). A task the cut-off leader stored but could not answer for (its client
   * was told {@code NOT_STORED} and retried on the majority side) then sits beside the task the retry created,
   * with the same idempotency key. The record of the higher term is the one the cluster answered for: a leader
   * creates a task for a key only when its own map has none, so the other came from a side it could not see. The
   * others are cancelled ({@code DUPLICATE}) if they never ran, which the cut-off side cannot have done (it
   * assigns nothing without a majority); one request then runs once.
   */
  private void dropMergedDuplicates(long now) {
    Map<String, List<Task>> sameKey = new HashMap<>();
    for (Task t : tasks.values()) {
      String key = t.spec().idempotencyKey();
      if (key != null && !t.id().equals(byKey.get(key))) {
        sameKey.computeIfAbsent(key, k -> new ArrayList<>(List.of(tasks.get(byKey.get(k))))).add(t);
      }
    }
    sameKey.forEach((key, copies) -> {
      Task keep = copies.stream().max(java.util.Comparator.comparingLong(Task::term)
          .thenComparing(t -> t.attempt() > 0 || t.state().terminal()).thenComparingLong(Task::seq)).orElseThrow();
      byKey.put(key, keep.id());
      for (Task t : copies) {
        if (t == keep || t.state().terminal()) {
          continue;
        }
        if (t.state() != TaskState.PENDING || t.attempt() > 0) {
          LOG.warn("task {} has the idempotency key of task {} and has already run; leaving both", t.id(), keep.id());
          continue;
        }
        String why = "a duplicate of task " + keep.id() + " (the same idempotency key), merged in from a part of "
            + "the cluster that was cut off";
        LOG.warn("cancelling task {}: {}", t.id(), why);
        queue.remove(t); // adopted at a merge, it may be queued already
        t.moveTo(TaskState.CANCELLED, term, why, now);
        t.error(error("DUPLICATE", why));
        changed(t);
      }
    });
  }

  /**
   * Asks every worker what it runs and holds: attempts the records name that still run stay, the others are
   * retried; an attempt a worker holds for a task recorded as waiting is the assignment an earlier leader made
   * and did not store (assignments are not stored, ADR 12), and is taken over as it is, not run again.
   */
  private Future<Void> reconcile() {
    Map<String, List<Task>> onNode = new HashMap<>();
    for (Task t : tasks.values()) {
      if (t.state() == TaskState.ASSIGNED || t.state() == TaskState.RUNNING) {
        onNode.computeIfAbsent(t.nodeId(), k -> new ArrayList<>()).add(t);
      }
    }
    Set<String> ask = new HashSet<>(onNode.keySet());
    workers.forEach((id, w) -> {
      if (w.info != null && w.info.slotsTotal() > 0 && w.health != NodeHealth.OFFLINE) {
        ask.add(id);
      }
    });
    List<Future<Void>> asks = new ArrayList<>();
    for (String nodeId : ask) {
      List<Task> named = onNode.getOrDefault(nodeId, List.of());
      asks.add(vertx.eventBus().<JsonObject>request(TaskAddresses.running(nodeId), new JsonObject().put("term", term),
              new DeliveryOptions().setSendTimeout(3_000))
          .map(m -> {
            Map<String, Integer> running = new HashMap<>();
            for (Object o : m.body().getJsonArray("running", new JsonArray())) {
              JsonObject r = (JsonObject) o;
              running.put(r.getString("id"), r.getInteger("attempt"));
            }
            return running;
          })
          .otherwise(err -> Map.of())
          .map(running -> {
            long now = System.currentTimeMillis();
            running.forEach((id, attempt) -> takeOver(nodeId, tasks.get(id), attempt, now));
            for (Task t : named) {
              Integer attempt = running.get(t.id());
              if (attempt != null && attempt == t.attempt()) {
                inflight.computeIfAbsent(nodeId, k -> new HashSet<>()).add(t.id());
                worker(nodeId).inflight++;
                timers.set(now + t.spec().timeoutMs() + t.spec().ackTimeoutMs(), t.id(), t.attempt(),
                    TaskTimers.Kind.ATTEMPT_TIMEOUT);
              } else {
                attemptFailed(t, error("WORKER_LOST", "the attempt on node " + nodeId
                    + " was not running when leader term " + term + " took over"), true, now);
              }
            }
            return null;
          }));
    }
    return Future.join(asks).map(v -> {
      long now = System.currentTimeMillis();
      for (Task t : tasks.values()) {
        if (t.state() == TaskState.PENDING) {
          enqueue(t, now);
        } else if (t.state() == TaskState.RETRYING) {
          timers.set(t.readyAt(), t.id(), t.attempt(), TaskTimers.Kind.READY);
        }
        if (!t.state().terminal() && t.spec().deadline() > 0) {
          timers.set(t.spec().deadline(), t.id(), t.attempt(), TaskTimers.Kind.DEADLINE);
        }
      }
      return null;
    });
  }

  /**
   * Takes over an attempt an earlier leader assigned without storing it: the task's record says it waits
   * (PENDING, with the attempts before this one), and a worker holds the next attempt.
   */
  private void takeOver(String nodeId, Task t, int attempt, long now) {
    if (t == null || t.state() != TaskState.PENDING || attempt != t.attempt() + 1) {
      return;
    }
    Placement.Worker w = worker(nodeId);
    String name = w.info != null ? w.info.name() : nodeId;
    t.assign(nodeId, name, null, term, now);
    t.moveTo(TaskState.ASSIGNED, term, "assigned to " + name + " by an earlier leader", now);
    inflight.computeIfAbsent(nodeId, k -> new HashSet<>()).add(t.id());
    w.inflight++;
    timers.set(now + t.spec().timeoutMs() + t.spec().ackTimeoutMs(), t.id(), t.attempt(),
        TaskTimers.Kind.ATTEMPT_TIMEOUT);
    changed(t); // stored now: the next leader finds it in the record
  }

  // ---- the cluster as the scheduler sees it ---------------------------------------------------------------

  private Placement.Worker worker(String id) {
    return workers.computeIfAbsent(id, Placement.Worker::new);
  }

  private void onAnnounce(JsonObject body) {
    try {
      heard(NodeInfo.fromJson(body), System.currentTimeMillis());
    } catch (IllegalArgumentException e) {
      // Discovery logs malformed announcements
    }
  }

  private void heard(NodeInfo info, long now) {
    Placement.Worker w = worker(info.id());
    boolean wasAvailable = w.available(now) && w.free() > 0;
    w.info = info;
    ClusterView.Transition tr = view.heard(info, now);
    w.health = view.health(info.id());
    if (tr != null && tr.to() == NodeHealth.OFFLINE) {
      workerLost(info.id(), "OFFLINE");
    }
    if (!wasAvailable && w.available(now) && w.free() > 0) {
      schedulePump();
    }
  }

  /**
   * @return the Hazelcast members now (their UUIDs change when a node restarts or rejoins after a split): read
   *     at most once a millisecond, since every submit checks them twice and the list is rebuilt on each read
   */
  private Set<String> memberUuids() {
    long now = System.nanoTime();
    if (memberCache == null || now - memberCacheAt > 1_000_000) {
      Set<String> out = new HashSet<>();
      for (Member m : membership.members()) {
        out.add(m.uuid());
      }
      memberCache = out;
      memberCacheAt = now;
    }
    return memberCache;
  }

  private void onMembership() {
    long now = System.currentTimeMillis();
    for (ClusterView.Transition t : view.members(membership.members(), now)) {
      Placement.Worker w = workers.get(t.nodeId());
      if (w != null) {
        w.health = t.to();
      }
      if (t.to() == NodeHealth.OFFLINE) {
        workerLost(t.nodeId(), "left the cluster");
      }
    }
  }

  private void workerLost(String nodeId, String why) {
    Set<String> ids = inflight.remove(nodeId);
    Placement.Worker w = workers.get(nodeId);
    if (w != null) {
      w.inflight = 0;
    }
    if (ids == null || ids.isEmpty()) {
      return;
    }
    LOG.warn("worker {} {}: retrying its {} task(s) elsewhere", nodeId, why, ids.size());
    long now = System.currentTimeMillis();
    for (String id : ids) {
      Task t = tasks.get(id);
      if (t != null && !t.state().terminal() && nodeId.equals(t.nodeId())) {
        attemptFailed(t, error("WORKER_LOST", "node " + nodeId + " " + why + " while running the task"), true, now);
      }
    }
    schedulePump();
  }

  private void refreshRtt() {
    vertx.eventBus().<JsonObject>request(ClusterAddresses.VIEW, new JsonObject()).onSuccess(m -> {
      for (Object o : m.body().getJsonArray("nodes", new JsonArray())) {
        JsonObject n = (JsonObject) o;
        Placement.Worker w = workers.get(n.getString("id"));
        if (w != null && n.getDouble("rttMs") != null) {
          w.rttMs = n.getDouble("rttMs");
        }
      }
    });
  }

  // ---- doors ------------------------------------------------------------------------------------------------

  /**
   * Where a submit's answer goes: the request message of a single submit, or one item of a batch (answered
   * together once every item is).
   */
  private interface Answer {
    void reply(JsonObject task);

    void fail(BusError error);

    static Answer of(Message<JsonObject> msg) {
      return new Answer() {
        @Override
        public void reply(JsonObject task) {
          msg.reply(task);
        }

        @Override
        public void fail(BusError error) {
          error.failOn(msg);
        }
      };
    }
  }

  /**
   * A single submit ({@code {"task", "submitter"}}), or a batch ({@code {"tasks": [{"task", "submitter"}]}},
   * answered {@code {"tasks": [task or {"error": {"status", "code", "message"}}]}} in the same order): a batch
   * is stored in one flush and answered in one message.
   */
  private void onSubmit(Message<JsonObject> msg) {
    JsonArray batch = msg.body().getJsonArray("tasks");
    if (batch == null) {
      submit(msg.body(), Answer.of(msg));
      return;
    }
    if (batch.isEmpty()) {
      msg.reply(new JsonObject().put("tasks", new JsonArray()));
      return;
    }
    Object[] answers = new Object[batch.size()];
    int[] open = {batch.size()};
    for (int i = 0; i < batch.size(); i++) {
      int slot = i;
      Answer item = new Answer() {
        @Override
        public void reply(JsonObject task) {
          done(task);
        }

        @Override
        public void fail(BusError e) {
          done(new JsonObject().put("error", new JsonObject().put("status", e.status()).put("code", e.code())
              .put("message", e.message())));
        }

        private void done(JsonObject answer) {
          if (answers[slot] == null) {
            answers[slot] = answer;
            if (--open[0] == 0) {
              msg.reply(new JsonObject().put("tasks", new JsonArray(java.util.Arrays.asList(answers))));
            }
          }
        }
      };
      if (batch.getValue(i) instanceof JsonObject one) {
        submit(one, item);
      } else {
        item.fail(new BusError(400, "INVALID_TASK", "each item of 'tasks' must be an object"));
      }
    }
  }

  private void submit(JsonObject body, Answer answer) {
    TaskSpec spec;
    try {
      // The door checked the payload size against its node's limit; defaults are filled in there too.
      spec = TaskSpec.fromJson(body.getJsonObject("task"), LEADER_LIMITS, body.getString("submitter", "unknown"));
    } catch (TaskValidationException e) {
      answer.fail(new BusError(400, "INVALID_TASK", e.getMessage()));
      return;
    } catch (ClassCastException e) {
      answer.fail(new BusError(400, "INVALID_TASK", "the request needs a 'task' object"));
      return;
    }
    if (spec.idempotencyKey() != null) {
      String existing = byKey.get(spec.idempotencyKey());
      if (existing != null && tasks.containsKey(existing)) {
        answer.reply(tasks.get(existing).toJson().put("created", false));
        return;
      }
      // Not in memory: the key may belong to a task evicted after it ended; the mirror has every task.
      List<Answer> waiting = keyLookups.get(spec.idempotencyKey());
      if (waiting != null) {
        waiting.add(answer); // the same key is being looked up: answer both alike
        return;
      }
      String key = spec.idempotencyKey();
      keyLookups.put(key, new ArrayList<>(List.of(answer)));
      long myTerm = term;
      vertx.eventBus().<JsonObject>request(TaskStoreVerticle.GET, new JsonObject().put("idempotencyKey", key))
          .onComplete(ar -> {
            List<Answer> answers = keyLookups.remove(key);
            if (answers == null || term != myTerm) {
              return;
            }
            if (ar.failed()) {
              answers.forEach(a -> a.fail(BusError.from(ar.cause())));
            } else if (ar.result().body().getJsonObject("task") != null) {
              JsonObject stored = ar.result().body().getJsonObject("task").put("created", false);
              answers.forEach(a -> a.reply(stored.copy()));
            } else {
              create(spec, answers.get(0));
              Task created = tasks.get(byKey.get(key));
              answers.subList(1, answers.size()).forEach(a -> a.reply(created.toJson().put("created", false)));
            }
          });
      return;
    }
    create(spec, answer);
  }

  private void create(TaskSpec spec, Answer answer) {
    if (storeProblem != null) {
      // Nothing is created while the leader cannot store: a task kept only in memory would be acknowledged to
      // no one and lost with this process, and the memory would grow with every retry.
      answer.fail(new BusError(storeProblem.status(), storeProblem.code(),
          "the leader cannot store tasks now (" + storeProblem.message() + "); nothing was stored, "
              + "retry later"));
      return;
    }
    long now = System.currentTimeMillis();
    Task t = new Task(TaskIds.next(now), spec, now, ++seq, term);
    t.reason("waiting for a worker");
    adopt(t);
    if (spec.deadline() > 0) {
      timers.set(spec.deadline(), t.id(), 0, TaskTimers.Kind.DEADLINE);
    }
    changed(t);
    long myTerm = term;
    Set<String> membersBefore = memberUuids();
    // Acknowledge only once the map and the SQLite mirror hold the task, and only if the members that hold
    // its backup did not change meanwhile: a leader cut off from the others sees its write "succeed" locally
    // once the backup times out, and must not promise a task the majority never got.
    flush().onComplete(ar -> {
      String problem = ar.failed() ? ar.cause().getMessage() : term != myTerm ? "leadership changed"
          : !memberUuids().containsAll(membersBefore) ? "a member left the cluster while it was stored"
          : memberUuids().size() < settings.expectedMembers() / 2 + 1 ? "this leader lost its quorum"
          : null;
      if (problem != null) {
        answer.fail(new BusError(503, "NOT_STORED", "the task could not be stored for sure: " + problem
            + "; retry (with an idempotency key)"));
        if (term == myTerm) {
          // It is here all the same (and its store is retried): a retry with its key finds a task that runs.
          enqueue(t, System.currentTimeMillis());
        }
        return;
      }
      answer.reply(t.toJson().put("created", true));
      enqueue(t, System.currentTimeMillis());
    });
  }

  private void onGet(Message<JsonObject> msg) {
    Task t = tasks.get(msg.body().getString("id", ""));
    if (t != null) {
      msg.reply(t.toJson());
      return;
    }
    String id = msg.body().getString("id", "");
    vertx.eventBus().<JsonObject>request(TaskStoreVerticle.GET, msg.body())
        .compose(r -> r.body().getJsonObject("task") != null ? Future.succeededFuture(r.body().getJsonObject("task"))
            // Not in this leader's mirror: after a whole-cluster restart another node's mirror may hold it.
            : askMirrors(new JsonObject().put("ids", new JsonArray().add(id)))
                .map(found -> found.containsKey(id) ? found.get(id).toJson() : null))
        .onSuccess(task -> {
          if (task == null) {
            new BusError(404, "TASK_NOT_FOUND", "no task with id '" + id + "'").failOn(msg);
          } else {
            msg.reply(task);
          }
        }).onFailure(err -> BusError.from(err).failOn(msg));
  }

  private void onList(Message<JsonObject> msg) {
    // Changes reach the mirror within a flush; list from there (it also holds finished tasks).
    flush().onComplete(v -> vertx.eventBus().<JsonObject>request(TaskStoreVerticle.LIST, msg.body())
        .onSuccess(r -> msg.reply(r.body()))
        .onFailure(err -> BusError.from(err).failOn(msg)));
  }

  private void onCancel(Message<JsonObject> msg) {
    Task t = tasks.get(msg.body().getString("id", ""));
    if (t == null) {
      new BusError(404, "TASK_NOT_FOUND", "no unfinished task with id '" + msg.body().getString("id") + "'")
          .failOn(msg);
      return;
    }
    if (t.state().terminal()) {
      new BusError(409, "TASK_FINISHED", "task " + t.id() + " already ended " + t.state()).failOn(msg);
      return;
    }
    String reason = msg.body().getString("reason", "cancelled by request");
    long now = System.currentTimeMillis();
    TaskState was = t.state();
    if (was == TaskState.ASSIGNED || was == TaskState.RUNNING) {
      String nodeId = t.nodeId();
      vertx.eventBus().request(TaskAddresses.cancel(nodeId), new JsonObject().put("term", term).put("reason", reason)
          .put("tasks", new JsonArray().add(new JsonObject().put("id", t.id()).put("attempt", t.attempt()))),
          new DeliveryOptions().setSendTimeout(5_000))
          .onFailure(err -> LOG.warn("cancel of task {} on {} not confirmed: {}", t.id(), nodeId, err.getMessage()));
      t.endAttempt("CANCELLED", null, now);
    }
    queue.remove(t);
    t.moveTo(TaskState.CANCELLED, term, reason, now);
    t.error(error("CANCELLED", reason));
    changed(t);
    flush().onComplete(ar -> msg.reply(t.toJson()));
  }

  // ---- results from workers ---------------------------------------------------------------------------------

  private void onResults(Message<JsonObject> msg) {
    String nodeId = msg.body().getString("nodeId");
    long now = System.currentTimeMillis();
    for (Object o : msg.body().getJsonArray("results", new JsonArray())) {
      JsonObject r = (JsonObject) o;
      Task t = tasks.get(r.getString("id"));
      if (t == null) {
        continue;
      }
      int attempt = r.getInteger("attempt", 0);
      String event = r.getString("event", "");
      boolean current = attempt == t.attempt() && nodeId.equals(t.nodeId());
      if (!"STARTED".equals(event) && !"PROGRESS".equals(event)) {
        release(nodeId, t.id(), current || t.state().terminal());
      }
      if (t.state().terminal()) {
        continue; // a late report for a task that already ended: it never ends twice
      }
      switch (event) {
        case "STARTED" -> {
          if (current && t.moveTo(TaskState.RUNNING, term, "running on " + t.nodeId(), now)) {
            t.attemptEvent("startedAt", now);
            t.backstopAt(now + t.spec().timeoutMs() + TIMEOUT_GRACE_MS);
            timers.set(t.backstopAt(), t.id(), t.attempt(), TaskTimers.Kind.ATTEMPT_TIMEOUT);
            changed(t);
          }
        }
        case "PROGRESS" -> {
          if (current) {
            t.progress(r.getJsonObject("progress"));
            dirty.add(t.id());
            scheduleFlush();
          }
        }
        case "COMPLETED" -> {
          // Any attempt's success completes the task (execution is at-least-once); a newer attempt elsewhere
          // is cancelled.
          if (!current && (t.state() == TaskState.ASSIGNED || t.state() == TaskState.RUNNING)) {
            cancelOn(t.nodeId(), t, "an earlier attempt completed the task");
            release(t.nodeId(), t.id(), true);
          }
          if (current && !t.attemptEnded()) {
            t.endAttempt("COMPLETED", null, now);
          } else {
            t.lateSuccess(attempt, nodeId, now); // given up on (or superseded), yet it succeeded
          }
          t.result(r.getJsonObject("result", new JsonObject()));
          if (t.state() == TaskState.PENDING) {
            queue.remove(t);
            t.moveTo(TaskState.ASSIGNED, term, "completed by an earlier attempt", now);
          }
          t.moveTo(TaskState.COMPLETED, term, "completed on " + nodeId, now);
          reliability(nodeId, true, t.id(), now);
          changed(t);
        }
        case "FAILED", "CANCELLED" -> {
          if (current && !t.attemptEnded()) { // a report sent again (its answer was lost) counts once
            JsonObject err = r.getJsonObject("error", error("EXECUTION_FAILED", "the attempt failed"));
            boolean retryable = r.getBoolean("retryable", true) && !"CANCELLED".equals(event);
            reliability(nodeId, false, t.id(), now);
            attemptFailed(t, err, retryable, now);
          }
        }
        default -> LOG.debug("ignored result event '{}' for task {}", event, t.id());
      }
    }
    // Answered once stored: a worker keeps its reports until the leader says so, and sends them again to the
    // next leader otherwise. Answered at once, a report the leader took but died before storing was lost, and
    // the next leader retried a finished attempt as WORKER_LOST.
    long myTerm = term;
    flush().onComplete(ar -> {
      if (ar.succeeded() && term == myTerm) {
        msg.reply(REPORTS_STORED);
      } else {
        new BusError(503, "NOT_STORED", "the leader did not store the reports: "
            + (ar.failed() ? ar.cause().getMessage() : "leadership changed") + "; send them again").failOn(msg);
      }
    });
    schedulePump();
  }

  private void release(String nodeId, String taskId, boolean really) {
    if (!really) {
      return;
    }
    Set<String> ids = inflight.get(nodeId);
    if (ids != null && ids.remove(taskId)) {
      Placement.Worker w = workers.get(nodeId);
      if (w != null) {
        w.inflight = Math.max(0, w.inflight - 1);
      }
    }
  }

  private void reliability(String nodeId, boolean ok, String taskId, long now) {
    Placement.Worker w = worker(nodeId);
    w.successRatio = 0.9 * w.successRatio + 0.1 * (ok ? 1 : 0);
    if (ok) {
      return;
    }
    w.recentFailures.put(taskId, now);
    w.recentFailures.values().removeIf(at -> now - at > FAILURE_WINDOW_MS);
    if (w.recentFailures.size() >= QUARANTINE_FAILURES && w.successRatio < 0.5 && w.quarantinedUntil <= now) {
      w.quarantinedUntil = now + QUARANTINE_MS;
      LOG.warn("node {} quarantined for {} s: {} different tasks failed there within {} s", nodeId,
          QUARANTINE_MS / 1000, w.recentFailures.size(), FAILURE_WINDOW_MS / 1000);
      vertx.eventBus().publish(TaskAddresses.QUARANTINED, new JsonObject().put("event", "NODE_QUARANTINED")
          .put("nodeId", nodeId).put("until", java.time.Instant.ofEpochMilli(w.quarantinedUntil).toString()));
    }
  }

  /** The current attempt failed: retry with backoff (preferring another node) or fail the task. */
  private void attemptFailed(Task t, JsonObject err, boolean retryable, long now) {
    String nodeId = t.nodeId();
    release(nodeId, t.id(), true);
    t.endAttempt("FAILED", err, now);
    if (retryable && t.attempt() < t.spec().maxAttempts()) {
      long base = settings.retryBaseMs() << Math.min(20, Math.max(0, t.attempt() - 1));
      long backoff = Math.min(settings.retryMaxMs(), base);
      long jittered = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
      if (t.state() == TaskState.ASSIGNED || t.state() == TaskState.RUNNING) {
        t.moveTo(TaskState.RETRYING, term, err.getString("code") + ": " + err.getString("message")
            + "; retry in " + jittered + " ms", now);
      }
      t.readyAt(now + jittered);
      timers.set(now + jittered, t.id(), t.attempt(), TaskTimers.Kind.READY);
    } else {
      t.error(err.copy().put("attempts", t.toJson().getJsonArray("attemptHistory")));
      queue.remove(t);
      t.moveTo(TaskState.FAILED, term, retryable ? "failed " + t.attempt() + " of " + t.spec().maxAttempts()
          + " attempts" : "failed: " + err.getString("code"), now);
    }
    changed(t);
  }

  private void cancelOn(String nodeId, Task t, String reason) {
    vertx.eventBus().request(TaskAddresses.cancel(nodeId), new JsonObject().put("term", term).put("reason", reason)
        .put("tasks", new JsonArray().add(new JsonObject().put("id", t.id()).put("attempt", t.attempt()))),
        new DeliveryOptions().setSendTimeout(5_000));
  }

  // ---- queue, timers and placement ---------------------------------------------------------------------

  private void enqueue(Task t, long now) {
    if (t.state() != TaskState.PENDING) {
      return;
    }
    if (t.readyAt() > now) {
      t.reason("not before " + java.time.Instant.ofEpochMilli(t.readyAt()));
      timers.set(t.readyAt(), t.id(), t.attempt(), TaskTimers.Kind.READY);
      return;
    }
    queue.add(t);
    schedulePump();
  }

  private void tick() {
    long now = System.currentTimeMillis();
    for (ClusterView.Transition tr : view.tick(now)) {
      Placement.Worker w = workers.get(tr.nodeId());
      if (w != null) {
        w.health = tr.to();
      }
      if (tr.to() == NodeHealth.OFFLINE) {
        workerLost(tr.nodeId(), "went silent");
      }
    }
    for (TaskTimers.Timer tm = timers.pollDue(now); tm != null; tm = timers.pollDue(now)) {
      Task t = tasks.get(tm.taskId());
      if (t == null || t.state().terminal()) {
        continue;
      }
      switch (tm.kind()) {
        case READY -> {
          if (t.state() == TaskState.RETRYING && tm.attempt() == t.attempt()) {
            t.moveTo(TaskState.PENDING, term, "waiting for a worker (attempt " + (t.attempt() + 1) + ")", now);
            changed(t);
            enqueue(t, now);
          } else if (t.state() == TaskState.PENDING && t.readyAt() <= now) {
            enqueue(t, now);
          }
        }
        case ATTEMPT_TIMEOUT -> {
          if (tm.attempt() == t.attempt() && (t.state() == TaskState.ASSIGNED || t.state() == TaskState.RUNNING)
              && tm.at() >= t.backstopAt()) {
            cancelOn(t.nodeId(), t, "start-to-close timeout");
            attemptFailed(t, error("TIMEOUT", "attempt " + t.attempt() + " ran longer than " + t.spec().timeoutMs()
                + " ms on node " + t.nodeId()), true, now);
          }
        }
        case DEADLINE -> {
          if (t.state() == TaskState.PENDING || t.state() == TaskState.RETRYING) {
            queue.remove(t);
            t.error(error("DEADLINE_EXCEEDED", "not started by its deadline "
                + java.time.Instant.ofEpochMilli(t.spec().deadline())));
            t.moveTo(TaskState.FAILED, term, "deadline passed before it started", now);
            changed(t);
          }
        }
        default -> { }
      }
    }
    schedulePump();
  }

  private void schedulePump() {
    if (!pumpScheduled && term != 0) {
      pumpScheduled = true;
      vertx.runOnContext(v -> {
        pumpScheduled = false;
        pump();
      });
    }
  }

  /** Places as many queued tasks as the workers' free slots allow, best first across placement classes. */
  private void pump() {
    if (term == 0 || queue.size() == 0) {
      return;
    }
    if (memberUuids().size() < settings.expectedMembers() / 2 + 1) {
      // Cut off from the majority (it is about to lose its leadership): what ran here could not be stored
      // anywhere that counts. The tick pumps again once the members are back, or the next leader does.
      return;
    }
    long now = System.currentTimeMillis();
    int free = 0;
    for (Placement.Worker w : workers.values()) {
      if (w.available(now)) {
        free += w.free();
      }
    }
    PriorityQueue<TaskQueue.PlacementClass> heads = new PriorityQueue<>(
        (a, b) -> queue.order().compare(a.tasks.peek(), b.tasks.peek()));
    for (TaskQueue.PlacementClass c : queue.classes()) {
      boolean possible = workers.values().stream().anyMatch(w -> w.canRun(c.sample.spec()));
      if (!possible) {
        explainUnplaceable(c);
        continue;
      }
      heads.add(c);
    }
    Map<String, JsonArray> batches = new HashMap<>();
    while (free > 0 && !heads.isEmpty()) {
      TaskQueue.PlacementClass c = heads.poll();
      Task t = c.tasks.peek();
      List<Placement.Candidate> ranked = placement.rank(t, workers.values(), now);
      if (ranked.isEmpty()) {
        continue; // no worker of this class has a free slot now; the others may
      }
      queue.poll(c);
      if (t.state() != TaskState.PENDING) {
        // Ended or moved on while queued (a late result, a cancel): never hand it out again.
        if (!c.tasks.isEmpty()) {
          heads.add(c);
        }
        continue;
      }
      Placement.Worker w = ranked.get(0).worker();
      t.assign(w.id, w.info.name(), Placement.explain(ranked), term, now);
      t.moveTo(TaskState.ASSIGNED, term, "assigned to " + w.info.name(), now);
      w.inflight++;
      free--;
      inflight.computeIfAbsent(w.id, k -> new HashSet<>()).add(t.id());
      // Backstop: the worker times the attempt itself; this fires only if its report never comes. An
      // assignment may wait on the worker behind the ones in its slots (prefetch), so allow for those too.
      int rounds = Math.max(1, (w.info.accepts() + w.info.slotsTotal() - 1) / Math.max(1, w.info.slotsTotal()));
      t.backstopAt(now + t.spec().ackTimeoutMs() + rounds * t.spec().timeoutMs() + TIMEOUT_GRACE_MS);
      timers.set(t.backstopAt(), t.id(), t.attempt(), TaskTimers.Kind.ATTEMPT_TIMEOUT);
      changed(t, false);
      batches.computeIfAbsent(w.id, k -> new JsonArray()).add(new JsonObject().put("id", t.id())
          .put("type", t.spec().type()).put("payload", t.spec().payload()).put("attempt", t.attempt())
          .put("timeoutMs", t.spec().timeoutMs()).put("ackTimeoutMs", t.spec().ackTimeoutMs()));
      if (!c.tasks.isEmpty()) {
        heads.add(c);
      }
    }
    batches.forEach(this::send);
  }

  private void explainUnplaceable(TaskQueue.PlacementClass c) {
    TaskSpec s = c.sample.spec();
    boolean typeKnown = workers.values().stream().anyMatch(w -> w.info != null && w.info.slotsTotal() > 0
        && w.info.taskTypes().contains(s.type()));
    String why = !typeKnown ? "no worker runs task type '" + s.type() + "'"
        : "no worker offers every required capability " + s.requiredCapabilities();
    for (Task t : queue.tasksOf(c)) {
      if (!why.equals(t.reason())) {
        t.reason(why);
        dirty.add(t.id());
      }
    }
    scheduleFlush();
  }

  /** Sends one batch of assignments; the reply is the worker's ACK. No reply in time: back to the queue. */
  private void send(String nodeId, JsonArray batch) {
    long maxAck = 0;
    for (Object o : batch) {
      maxAck = Math.max(maxAck, ((JsonObject) o).getLong("ackTimeoutMs"));
    }
    long ackTimeout = maxAck;
    long myTerm = term;
    // Assignments go out at once: they are not stored (a new leader learns them from the workers, ADR 12).
    vertx.eventBus().<JsonObject>request(TaskAddresses.assign(nodeId),
            new JsonObject().put("term", myTerm).put("leaderId", node.id()).put("tasks", batch),
            new DeliveryOptions().setSendTimeout(ackTimeout))
        .onComplete(ar -> {
          if (term != myTerm) {
            return;
          }
          long now = System.currentTimeMillis();
          if (ar.succeeded()) {
            JsonObject reply = ar.result().body();
            boolean acked = false;
            for (Object o : reply.getJsonArray("accepted", new JsonArray())) {
              Task t = tasks.get(String.valueOf(o));
              if (t != null) {
                t.attemptEvent("ackedAt", now);
                // Recorded with the next report, after the task's ASSIGNED and before what its worker reports.
                ledgerEntries.add(new LedgerEvent(LedgerEventTypes.TASK_ACKNOWLEDGED, t.id(), myTerm,
                    JsonText.object(160).field("id", t.id()).field("taskType", t.spec().type())
                        .field("attempt", t.attempt()).field("nodeId", nodeId).field("at", now).end()));
                acked = true;
              }
            }
            if (acked) {
              scheduleFlush();
            }
            for (Object o : reply.getJsonArray("refused", new JsonArray())) {
              JsonObject r = (JsonObject) o;
              Task t = tasks.get(r.getString("id"));
              if (t != null && t.state() == TaskState.ASSIGNED && nodeId.equals(t.nodeId())) {
                attemptFailed(t, error("REFUSED", "node " + nodeId + " refused the assignment: "
                    + r.getString("reason")), true, now);
              }
            }
          } else {
            BusError e = BusError.from(ar.cause());
            for (Object o : batch) {
              Task t = tasks.get(((JsonObject) o).getString("id"));
              if (t != null && t.state() == TaskState.ASSIGNED && nodeId.equals(t.nodeId())
                  && t.attempt() == ((JsonObject) o).getInteger("attempt")) {
                attemptFailed(t, error("ACK_TIMEOUT", "node " + nodeId + " did not acknowledge the assignment: "
                    + e.message()), true, now);
              }
            }
          }
          schedulePump();
        });
  }

  // ---- persistence ---------------------------------------------------------------------------------------

  private void changed(Task t) {
    changed(t, true);
  }

  /**
   * Records a change of a task: its transition goes to the next report, and, when {@code store}, the task to the
   * next flush into the map and the mirror. An assignment is reported but not stored: a new leader learns the
   * assignments of earlier terms from the workers when it takes over ({@link #reconcile}); its start or end,
   * the next change, stores the task.
   */
  private void changed(Task t, boolean store) {
    if (store) {
      dirty.add(t.id());
    }
    TaskState was = t.markReported();
    TaskState now = t.state();
    if (was != now) {
      if (was != null) {
        counts.merge(was, -1, Integer::sum);
      }
      counts.merge(now, 1, Integer::sum);
      String from = was == null ? null : was.name();
      long at = System.currentTimeMillis();
      JsonObject error = now == TaskState.FAILED ? t.error() : now == TaskState.RETRYING ? t.lastAttemptError() : null;
      JsonObject e = new JsonObject().put("id", t.id()).put("taskType", t.spec().type())
          .put("from", from).put("state", now.name()).put("attempt", t.attempt())
          .put("nodeId", t.nodeId()).put("reason", t.reason()).put("submittedAt", t.submittedAt())
          .put("at", at);
      if (error != null) {
        e.put("error", error);
      }
      transitions.add(e);
      // The same fields as text for the ledger, written directly rather than encoded from the object.
      JsonText data = JsonText.object(384).field("id", t.id()).field("taskType", t.spec().type())
          .field("from", from).field("state", now.name()).field("attempt", t.attempt())
          .field("nodeId", t.nodeId()).field("reason", t.reason()).field("submittedAt", t.submittedAt())
          .field("at", at);
      if (error != null) {
        data.field("error", error);
      }
      ledgerEntries.add(new LedgerEvent(LedgerEventTypes.forTaskMove(from, now.name()), t.id(), term, data.end()));
      if (now.terminal()) {
        finished.addLast(t);
        timers.cancel(t.id());
      }
      if (now.terminal() && t.spec().notifyAddress() != null) {
        notifications.computeIfAbsent(t.spec().notifyAddress(), a -> new ArrayList<>()).add(t.id());
      }
    }
    scheduleFlush();
  }

  /**
   * Reports stored state changes: their ledger entries and the acknowledgements among them, in order, to the
   * ledger (one batch), the transitions to this node's metrics and to the cluster's {@link TaskAddresses#EVENTS}
   * listeners (one message), and finished tasks to their submitters.
   */
  private void report(List<JsonObject> stored, List<LedgerEvent> recorded, Map<String, List<String>> notify,
      Map<String, String> storedJson) {
    var bus = vertx.eventBus();
    if (!recorded.isEmpty()) {
      bus.request(LedgerAddresses.APPEND_EVENTS, recorded, LEDGER_DELIVERY)
          .onFailure(err -> LOG.warn("{} task event(s) not written to the ledger: {}", recorded.size(),
              err.getMessage()));
    }
    if (!stored.isEmpty()) {
      JsonArray events = new JsonArray(new ArrayList<>(stored));
      bus.publish(TaskAddresses.TRANSITIONS, new JsonObject().put("transitions", events), LOCAL);
      bus.publish(TaskAddresses.EVENTS, new JsonObject().put("events", events));
    }
    notify.forEach((address, ids) -> {
      if (address.startsWith(TaskClient.TEXT_NOTIFY_PREFIX)) {
        notifyClient(address, ids, storedJson);
        return;
      }
      JsonArray ended = new JsonArray(new ArrayList<>(ids.size()));
      for (String id : ids) {
        Task t = tasks.get(id);
        if (t != null) {
          ended.add(t.toJson());
        }
      }
      bus.send(address, new JsonObject().put("tasks", ended));
    });
  }

  /**
   * Sends ended tasks to a {@link TaskClient}'s notify address as the text just stored ({@link JsonTextCodec}):
   * the client reads the same JSON, and the leader does not build and encode each task again.
   */
  private void notifyClient(String address, List<String> ids, Map<String, String> storedJson) {
    StringBuilder text = new StringBuilder(ids.size() * 768).append("{\"tasks\":[");
    int n = 0;
    for (String id : ids) {
      String json = storedJson.get(id);
      if (json == null && tasks.get(id) != null) {
        json = tasks.get(id).storedJson(); // stored in an earlier flush whose report failed
      }
      if (json != null) {
        text.append(n++ == 0 ? "" : ",").append(json);
      }
    }
    if (n > 0) {
      vertx.eventBus().send(address, Buffer.buffer(text.append("]}").toString()), NOTIFY_TEXT);
    }
  }

  /**
   * The ledger records each task's end exactly once: the end is stored first and recorded after, so a leader
   * that died between the two leaves it unrecorded. The next leader records those ends (marked
   * {@code "recovered": true}) for the tasks earlier leaders ended in the last {@value #RECENT_ENDS_MS} ms (taken
   * before this leader changed anything, so its own ends, whose recording may still be on the way, are not
   * among them).
   */
  private void recordMissingEnds(long myTerm, List<Task> ended) {
    if (ended.isEmpty()) {
      return;
    }
    JsonArray ids = new JsonArray(ended.stream().map(Task::id).collect(java.util.stream.Collectors.toList()));
    vertx.eventBus().<JsonObject>request(LedgerAddresses.RECORDED, new JsonObject().put("subjects", ids)
            .put("types", new JsonArray().add(LedgerEventTypes.TASK_COMPLETED).add(LedgerEventTypes.TASK_FAILED)
                .add(LedgerEventTypes.TASK_CANCELLED)), LEDGER_DELIVERY)
        .onSuccess(r -> {
          if (term != myTerm) {
            return;
          }
          Set<String> recorded = new HashSet<>();
          r.body().getJsonArray("recorded").forEach(o -> recorded.add((String) o));
          JsonArray entries = new JsonArray();
          for (Task t : ended) {
            if (!recorded.contains(t.id())) {
              JsonObject e = new JsonObject().put("id", t.id()).put("taskType", t.spec().type())
                  .put("state", t.state().name()).put("attempt", t.attempt()).put("nodeId", t.nodeId())
                  .put("reason", t.reason()).put("submittedAt", t.submittedAt()).put("at", t.finishedAt())
                  .put("recovered", true);
              entries.add(new JsonObject().put("type", LedgerEventTypes.forTaskMove(null, t.state().name()))
                  .put("subject", t.id()).put("term", myTerm).put("data", e));
            }
          }
          if (!entries.isEmpty()) {
            LOG.info("recording the end of {} task(s) that the previous leader stored but did not record",
                entries.size());
            vertx.eventBus().send(LedgerAddresses.APPEND, new JsonObject().put("events", entries), LOCAL);
          }
        })
        .onFailure(err -> LOG.warn("could not check the ledger for unrecorded task ends: {}", err.getMessage()));
  }

  /**
   * Forgets tasks that ended more than the retention time ago, and the oldest finished tasks beyond the retention
   * count: they leave memory and the cluster map (at most {@value #EVICT_MAX} a second, removed from the map in
   * one batch) and stay in the SQLite mirror, where reads, lists and idempotency keys still find them.
   */
  private void evict(long now) {
    long before = now - settings.retentionMs();
    Set<String> gone = new HashSet<>();
    while (gone.size() < EVICT_MAX && !finished.isEmpty()
        && (finished.peekFirst().finishedAt() < before || finished.size() > settings.retentionMax())) {
      Task t = finished.peekFirst();
      if (tasks.get(t.id()) != t) {
        finished.pollFirst(); // replaced by a newer copy, which has an entry of its own
        continue;
      }
      if (dirty.contains(t.id())) {
        break; // not stored yet: its time comes at the next pass
      }
      finished.pollFirst();
      tasks.remove(t.id());
      counts.merge(t.state(), -1, Integer::sum);
      String key = t.spec().idempotencyKey();
      if (key != null && t.id().equals(byKey.get(key))) {
        byKey.remove(key);
      }
      gone.add(t.id());
    }
    if (!gone.isEmpty()) {
      removeFromMap(gone);
      LOG.debug("evicted {} finished task(s) from memory and the task map", gone.size());
    }
  }

  /**
   * Removes entries from the task map with one entry-processor call per partition. Hazelcast sends a call on
   * many keys to every partition they fall in with all of the keys, and each partition (and its backup) goes
   * through the whole set to find its own: removing 2,000 keys at once cost the followers 15 % of their CPU in
   * W1. Grouped, each partition gets only its keys.
   */
  private void removeFromMap(Set<String> ids) {
    var partitions = hz.getPartitionService();
    Map<Integer, Set<String>> byPartition = new HashMap<>();
    for (String id : ids) {
      byPartition.computeIfAbsent(partitions.getPartition(id).getPartitionId(), p -> new HashSet<>()).add(id);
    }
    TaskMapRemoval removal = new TaskMapRemoval();
    var context = vertx.getOrCreateContext();
    List<Set<String>> groups = new ArrayList<>(byPartition.values());
    List<Future<Map<String, Boolean>>> calls = new ArrayList<>(groups.size());
    for (Set<String> keys : groups) {
      calls.add(Future.fromCompletionStage(map.submitToKeys(keys, removal), context));
    }
    Future.join(calls).onFailure(err -> {
      int left = 0;
      for (int i = 0; i < calls.size(); i++) {
        left += calls.get(i).failed() ? groups.get(i).size() : 0;
      }
      LOG.warn("{} evicted task(s) not removed from the task map: {}", left, err.getMessage());
    });
  }

  /** Publishes the scheduler's figures on this node ({@link TaskAddresses#STATS}), once a second. */
  private void publishStats() {
    JsonObject byState = new JsonObject();
    for (TaskState s : TaskState.values()) {
      byState.put(s.name(), counts.getOrDefault(s, 0));
    }
    int running = 0;
    for (Set<String> ids : inflight.values()) {
      running += ids.size();
    }
    vertx.eventBus().publish(TaskAddresses.STATS, new JsonObject().put("term", term).put("byState", byState)
        .put("queued", queue.size()).put("assigned", running).put("workers", workers.size())
        .put("known", tasks.size()), LOCAL);
  }

  private void scheduleFlush() {
    if (!flushScheduled && !flushing) {
      flushScheduled = true;
      // While storing fails, tries are spaced out, doubling up to a second: a full disk does not empty in 2 ms.
      long delay = storeFailures == 0 ? FLUSH_MS : Math.min(STORE_RETRY_MAX_MS, FLUSH_MS << Math.min(20,
          storeFailures));
      vertx.setTimer(delay, id -> {
        flushScheduled = false;
        doFlush();
      });
    }
  }

  /** @return completed once every change made so far is in the map and the mirror */
  private Future<Void> flush() {
    if (dirty.isEmpty() && !flushing) {
      return lastMirror; // the mirror writes in order: the last one done means all are
    }
    Promise<Void> p = Promise.promise();
    flushWaiters.add(p);
    scheduleFlush();
    return p.future();
  }

  /** @return whether tasks wait to be stored or ledger entries to be reported (every transition has one) */
  private boolean unflushed() {
    return !dirty.isEmpty() || !ledgerEntries.isEmpty();
  }

  private void doFlush() {
    if (flushing || term == 0) {
      return;
    }
    if (!unflushed()) {
      List<Promise<Void>> waiting = new ArrayList<>(flushWaiters);
      flushWaiters.clear();
      lastMirror.onComplete(ar -> waiting.forEach(p -> p.tryComplete()));
      return;
    }
    flushing = true;
    List<String> ids = new ArrayList<>(dirty);
    dirty.clear();
    List<JsonObject> storing = transitions;
    transitions = new ArrayList<>();
    List<LedgerEvent> recording = ledgerEntries;
    ledgerEntries = new ArrayList<>();
    Map<String, List<String>> notifying = notifications;
    notifications = new HashMap<>();
    List<JsonArray> rows = new ArrayList<>(ids.size());
    Map<String, String> entries = new HashMap<>();
    for (String id : ids) {
      Task t = tasks.get(id);
      if (t != null) {
        String json = t.storedJson();
        rows.add(t.mirrorRow(json));
        entries.put(id, json);
        t.retire(json); // a finished task is kept as this text from now on (ADR 23)
      }
    }
    List<Promise<Void>> waiting = new ArrayList<>(flushWaiters);
    flushWaiters.clear();
    long myTerm = term;
    Future<Void> toMap = entries.isEmpty() ? Future.succeededFuture()
        : Future.fromCompletionStage(map.putAllAsync(entries), vertx.getOrCreateContext());
    Future<Void> toMirror = mirror(rows);
    lastMirror = toMirror.otherwiseEmpty();
    // The next flush may start once the map has this one (map writes stay in order); the mirror goes on alone.
    toMap.onComplete(ar -> {
      flushing = false;
      if (unflushed() || !flushWaiters.isEmpty()) {
        scheduleFlush();
      }
    });
    Future.all(toMap, toMirror).onComplete(ar -> {
      if (term == myTerm) {
        storeOutcome(ar.failed() ? ar.cause() : null, rows.size());
      }
      if (ar.failed()) {
        if (term == myTerm) {
          dirty.addAll(ids); // try again, and report once stored
          storing.addAll(transitions);
          transitions = storing;
          recording.addAll(ledgerEntries);
          ledgerEntries = recording;
          notifying.forEach((a, l) -> notifications.computeIfAbsent(a, x -> new ArrayList<>()).addAll(l));
        }
      } else if (term == myTerm) {
        report(storing, recording, notifying, entries);
      }
      completeWaiters(waiting, ar.failed() ? ar.cause() : null);
      if (unflushed() && !flushing) {
        scheduleFlush();
      }
    });
  }

  /**
   * Keeps track of whether storing works: the first failure is logged with its cause, one that goes on every
   * {@value #STORE_FAILURE_LOG_MS} ms, and the recovery once; new tasks are refused meanwhile ({@link #create}).
   *
   * @param failure why the last flush failed, null when it worked
   * @param changes the task changes it carried
   */
  private void storeOutcome(Throwable failure, int changes) {
    long now = System.currentTimeMillis();
    if (failure == null) {
      if (storeProblem != null) {
        LOG.info("storing task changes works again, after {} ms and {} failed tries; new tasks are taken again",
            now - storeFailingSince, storeFailures);
      }
      storeProblem = null;
      storeFailures = 0;
      return;
    }
    BusError e = BusError.from(failure);
    boolean full = "STORAGE_FULL".equals(e.code());
    storeProblem = full ? new BusError(507, "STORAGE_FULL", e.message())
        : new BusError(503, "NOT_STORED", e.message());
    if (storeFailures++ == 0) {
      storeFailingSince = now;
      storeFailureLoggedAt = now;
      LOG.error("storing {} task change(s) failed: {} ({}); new tasks are refused until it works again, and the "
          + "changes are tried again", changes, e.message(), e.code());
    } else if (now - storeFailureLoggedAt >= STORE_FAILURE_LOG_MS) {
      storeFailureLoggedAt = now;
      LOG.warn("storing task changes still fails after {} ms and {} tries: {} ({}); {} task(s) wait to be stored",
          now - storeFailingSince, storeFailures, e.message(), e.code(), dirty.size());
    }
  }

  private static void completeWaiters(List<Promise<Void>> list, Throwable err) {
    List<Promise<Void>> waiting = new ArrayList<>(list);
    list.clear();
    waiting.forEach(p -> {
      if (err == null) {
        p.tryComplete();
      } else {
        p.tryFail(err);
      }
    });
  }

  /** Writes rows ({@link Task#mirrorRow}) to this node's SQLite mirror, handed over without a copy. */
  private Future<Void> mirror(List<JsonArray> rows) {
    if (rows.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Future<?>> parts = new ArrayList<>();
    for (int i = 0; i < rows.size(); i += FLUSH_MAX) {
      JsonArray chunk = new JsonArray(new ArrayList<>(rows.subList(i, Math.min(rows.size(), i + FLUSH_MAX))));
      parts.add(vertx.eventBus().request(TaskAddresses.STORE_PUT, new JsonObject().put("term", term)
          .put("rows", chunk), MIRROR_DELIVERY));
    }
    return Future.all(parts).mapEmpty();
  }

  static JsonObject error(String code, String message) {
    return new JsonObject().put("code", code).put("message", message);
  }
}
