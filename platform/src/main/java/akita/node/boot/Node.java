package akita.node.boot;

import akita.node.NodeAddresses;
import akita.node.NodeContext;
import akita.node.Version;
import akita.node.cluster.DiscoveryVerticle;
import akita.node.cluster.HazelcastMembership;
import akita.node.cluster.LeadershipVerticle;
import akita.node.cluster.Membership;
import akita.node.cluster.TermFence;
import akita.node.config.NodeConfig;
import akita.node.config.Role;
import akita.node.ledger.CheckpointSigner;
import akita.node.ledger.LedgerVerticle;
import akita.node.tasks.SchedulerVerticle;
import akita.node.tasks.TaskGateway;
import akita.node.tasks.TaskServiceVerticle;
import akita.node.tasks.TaskSpec;
import akita.node.tasks.TaskStoreVerticle;
import akita.node.worker.WorkerVerticle;
import akita.node.logging.Logging;
import akita.node.metrics.MetricsVerticle;
import akita.node.metrics.NodeMetrics;
import akita.node.plugin.PluginCatalog;
import akita.node.plugin.PluginService;
import akita.node.plugin.PluginVerticle;
import akita.node.resources.ResourcesVerticle;
import akita.node.storage.Database;
import akita.node.storage.Folders;
import akita.node.web.ApiVerticle;
import akita.node.web.HealthProbe;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running node: its data folder, plugins, clustered Vert.x, database and verticles, started in that
 * order and stopped in reverse. {@link #start(NodeConfig)} blocks the calling thread for file and plugin
 * work, so call it from {@code main} or a test thread, never from an event loop.
 */
public final class Node {

  private static final Logger LOG = LoggerFactory.getLogger(Node.class);
  /** Worker threads for executors' blocking work (shell processes, file I/O). */
  private static final int TASK_THREADS = 32;

  private final NodeConfig cfg;
  private final DataDirLock lock;
  private PluginService plugins;
  private final Promise<Void> stopped = Promise.promise();
  private final Promise<Void> stopRequested = Promise.promise();
  private final AtomicBoolean stopping = new AtomicBoolean();
  /** Set when the node stops to rejoin the cluster afresh (it was cut off and merged back). */
  private volatile boolean rejoin;
  private final Deque<String> deployments = new ArrayDeque<>();
  private final java.util.Map<String, String> verticleNames = new java.util.HashMap<>();
  /** How long a verticle may take to stop before the log names it (and again at each such interval). */
  private static final long SLOW_STOP_MS = 5_000;
  /** The folder, in the data folder, where Vert.x caches class-path files. */
  static final String FILE_CACHE = "file-cache";
  private CheckpointSigner signer;
  private final TermFence fence = new TermFence();
  private TermFile terms;
  private volatile boolean started;
  private NodeContext context;
  private Vertx vertx;
  private HazelcastClusterManager clusterManager;
  private Database db;
  private ApiVerticle api;
  private NodeMetrics metrics;

  private Node(NodeConfig cfg, DataDirLock lock) {
    this.cfg = cfg;
    this.lock = lock;
  }

  /**
   * Starts a node.
   *
   * @param cfg the validated configuration
   * @return the running node, or a failure whose message says what stopped it
   */
  public static Future<Node> start(NodeConfig cfg) {
    long startedAt = System.currentTimeMillis();
    DataDirLock lock;
    String id;
    try {
      Files.createDirectories(cfg.dataDir());
      lock = DataDirLock.acquire(cfg.dataDir());
    } catch (IOException e) {
      return Future.failedFuture(new IllegalStateException("cannot use the data folder "
          + cfg.dataDir().toAbsolutePath() + ": " + e, e));
    } catch (IllegalStateException e) {
      return Future.failedFuture(e);
    }
    CheckpointSigner signer;
    try {
      id = NodeIdentity.loadOrCreate(cfg.dataDir());
      signer = CheckpointSigner.loadOrCreate(cfg.dataDir());
    } catch (IOException | IllegalStateException e) {
      closeQuietly(lock);
      return Future.failedFuture(e instanceof IOException ? new IllegalStateException(
          "cannot read or write the node id or ledger key in " + cfg.dataDir().toAbsolutePath() + ": " + e, e)
          : e);
    }
    String name = cfg.nodeName() != null ? cfg.nodeName() : "node-" + id.substring(0, 8);
    Logging.apply(cfg.log(), id, name);

    Node node = new Node(cfg, lock);
    node.signer = signer;
    try {
      node.terms = TermFile.open(cfg.dataDir(), node.fence);
    } catch (IOException e) {
      closeQuietly(lock);
      return Future.failedFuture(new IllegalStateException("cannot read the term file in "
          + cfg.dataDir().toAbsolutePath() + ": " + e, e));
    }
    return node.boot(id, name, startedAt).recover(err -> node.abort().transform(v -> Future.failedFuture(err)));
  }

  private Future<Node> boot(String id, String name, long startedAt) {
    com.hazelcast.config.Config hzConfig = HazelcastSetup.build(cfg, id, name);
    hzConfig.getMemberAttributeConfig().setAttribute(HazelcastMembership.ATTR_TERM, String.valueOf(fence.highest()));
    clusterManager = new HazelcastClusterManager(hzConfig);
    // A message to a node that just died must fail fast, not wait for the default 60 s connect timeout.
    VertxOptions options = new VertxOptions().setEventBusOptions(new EventBusOptions()
        .setHost(cfg.cluster().bindHost()).setPort(cfg.cluster().busPort()).setConnectTimeout(2_000));
    // Vert.x copies class-path files (the console) into a cache folder that it removes on a clean exit; a node
    // killed with -9 left one in /tmp each time. In the data folder it has one fixed place, cleared here.
    Path fileCache = cfg.dataDir().toAbsolutePath().resolve(FILE_CACHE);
    try {
      Folders.deleteTree(fileCache);
    } catch (IOException e) {
      return Future.failedFuture(new IllegalStateException("cannot clear the file cache " + fileCache + ": " + e, e));
    }
    options.setFileSystemOptions(new FileSystemOptions().setFileCacheDir(fileCache.toString())
        .setFileCacheDirAsExactPath(true));
    metrics = NodeMetrics.create();
    options.setMetricsOptions(metrics.options());
    return Vertx.builder().with(options).withMetrics(metrics.factory()).withClusterManager(clusterManager)
        .buildClustered()
        .compose(v -> {
          vertx = v;
          vertx.eventBus().<Object>localConsumer(NodeAddresses.SHUTDOWN, msg -> {
            String reason = msg.body() instanceof JsonObject b && b.getValue("reason") instanceof String r ? r
                : "requested";
            msg.reply(new JsonObject().put("accepted", true));
            stop(reason);
          });
          return Database.open(vertx, cfg.dataDir());
        })
        .compose(database -> {
          db = database;
          return NodeRuns.begin(db, id, Version.CURRENT, startedAt);
        })
        .compose(run -> {
          context = new NodeContext(id, name, cfg.clusterName(), Version.CURRENT, cfg.roles(), cfg.capabilities(),
              startedAt, run, cfg.dataDir().toAbsolutePath());
          return highestRecordedTerm();
        })
        .compose(term -> {
          fence.observe(term);
          TaskGateway gateway = new TaskGateway(vertx, new TaskSpec.Limits(cfg.api().maxBodyBytes(),
              TaskSpec.Limits.DEFAULT.defaultTimeoutMs(), TaskSpec.Limits.DEFAULT.defaultAckTimeoutMs(),
              TaskSpec.Limits.DEFAULT.defaultMaxAttempts()));
          api = new ApiVerticle(cfg.api(), context, new HealthProbe() {
            @Override
            public Future<JsonObject> checks() {
              return health();
            }

            @Override
            public boolean stopping() {
              return stopping.get();
            }
          }, gateway);
          Membership membership = new HazelcastMembership(vertx, clusterManager.getHazelcastInstance());
          plugins = new PluginService(vertx, cfg.pluginsDir(), cfg.dataDir(), cfg.capabilities(), TASK_THREADS);
          HazelcastInstance hz = clusterManager.getHazelcastInstance();
          return deploy(new LedgerVerticle(db, id, signer, cfg.ledger()))
              .compose(v -> deploy(new MetricsVerticle(context, metrics.registry())))
              .compose(v -> deploy(new TaskStoreVerticle(db, id)))
              .compose(v -> deploy(new PluginVerticle(plugins, new PluginCatalog(clusterManager.getHazelcastInstance()),
                  cfg.dataDir().resolve("plugins-cluster"), cfg.pluginsScanMs(), cfg.shutdownTimeoutMs())))
              .compose(v -> deploy(api))
              .compose(v -> deploy(new ResourcesVerticle(id, cfg.resources())))
              .compose(v -> deploy(new DiscoveryVerticle(context, cfg, membership, fence,
                  "http://" + cfg.api().host() + ":" + api.actualPort())))
              .compose(v -> cfg.roles().contains(Role.WORKER) && cfg.slots() > 0
                  ? deploy(new WorkerVerticle(context, plugins, fence, cfg.slots(), cfg.prefetch(),
                      cfg.shutdownTimeoutMs()))
                  : Future.succeededFuture())
              .compose(v -> cfg.roles().contains(Role.LEADER)
                  ? deploy(new SchedulerVerticle(context, SchedulerVerticle.Settings.of(cfg),
                      membership, hz))
                  : Future.succeededFuture())
              .compose(v -> deploy(new LeadershipVerticle(context, cfg, membership, fence)))
              .compose(v -> deploy(new TaskServiceVerticle(gateway)));
        })
        .map(v -> {
          String base = "http://" + cfg.api().host() + ":" + api.actualPort();
          LOG.info("node {} ({}) ready in cluster '{}': API {}/api/v1, console {}/, data {}, API {}", name, id,
              cfg.clusterName(), base, base, cfg.dataDir().toAbsolutePath(),
              cfg.api().secured() ? "secured (" + cfg.api().apiKeys().size() + " API key(s))"
                  : "OPEN: no API keys configured, anyone who reaches " + cfg.api().host() + " can use it");
          started = true;
          watchForMerge();
          // A configuration event for the ledger: what this node runs with (never the API keys themselves).
          vertx.eventBus().send(akita.node.ledger.LedgerAddresses.APPEND, new JsonObject()
              .put("type", akita.node.ledger.LedgerEventTypes.NODE_STARTED).put("subject", id)
              .put("data", new JsonObject().put("name", name).put("version", Version.CURRENT)
                  .put("run", context.run()).put("roles", context.rolesJson())
                  .put("capabilities", new io.vertx.core.json.JsonArray(new java.util.ArrayList<>(cfg.capabilities())))
                  .put("slots", cfg.slots()).put("prefetch", cfg.prefetch())
                  .put("expectedMembers", cfg.expectedMembers()).put("apiSecured", cfg.api().secured())
                  .put("configFile", cfg.configFile() == null ? null : cfg.configFile().toString())));
          return this;
        });
  }

  /**
   * A node that was cut off from the cluster (a network partition) and merged back by Hazelcast rejoins afresh:
   * it stops and the process starts it again on the same data (ADR 19). While cut off it ran on its own (its
   * leadership, if any, was fenced by the majority's higher term; its tasks were retried there); merged, its
   * member has a new identity in Hazelcast, while its event-bus registrations, views and timers still describe
   * the old one. Starting again is the one state that is certainly consistent.
   */
  private void watchForMerge() {
    clusterManager.getHazelcastInstance().getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.MERGED && !stopping.get()) {
        LOG.warn("this node was cut off from the cluster and has been merged back: restarting to rejoin afresh");
        rejoin = true;
        stop("rejoining the cluster after a network partition healed");
      }
    });
  }

  /** @return whether the node stopped (or is stopping) to be started again: it was merged back after a split */
  public boolean rejoinRequested() {
    return rejoin;
  }

  private Future<Void> deploy(io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle, new DeploymentOptions()).map(depId -> {
      deployments.push(depId);
      verticleNames.put(depId, verticle.getClass().getSimpleName());
      return null;
    });
  }

  /** Undeploys one verticle, saying so when it holds the stop up (each has its own bounded drain). */
  private Future<Void> undeploy(String depId) {
    String name = verticleNames.getOrDefault(depId, depId);
    long started = System.nanoTime();
    long slow = vertx.setPeriodic(SLOW_STOP_MS, t -> LOG.warn("node stopping: {} still stopping after {} ms", name,
        (System.nanoTime() - started) / 1_000_000));
    return vertx.undeploy(depId)
        .recover(err -> {
          LOG.warn("undeploying {} failed: {}", name, err.getMessage());
          return Future.succeededFuture();
        })
        .onComplete(ar -> vertx.cancelTimer(slow));
  }

  private Future<JsonObject> health() {
    JsonObject checks = new JsonObject();
    checks.put("started", new JsonObject().put("ok", started));
    HazelcastInstance hz = clusterManager.getHazelcastInstance();
    boolean joined = hz != null && hz.getLifecycleService().isRunning() && clusterManager.isActive();
    checks.put("cluster", new JsonObject().put("ok", joined)
        .put("members", joined ? hz.getCluster().getMembers().size() : 0));
    JsonObject writes = db.writeProblem();
    return db.ping()
        .map(v -> writes == null ? new JsonObject().put("ok", true)
            // It answers reads but cannot write (a full disk): not ready for new work, still alive.
            : new JsonObject().put("ok", false).put("code", writes.getString("code"))
                .put("error", writes.getString("message")).put("since", writes.getString("since")))
        .otherwise(err -> new JsonObject().put("ok", false).put("error", err.getMessage()))
        .map(d -> checks.put("database", d));
  }

  /**
   * Stops the node gracefully: tells the verticles, undeploys them in reverse order, records the clean stop,
   * closes the database, leaves the cluster and releases the data folder. Safe to call more than once.
   *
   * @param reason why, for the log and the node's run history
   * @return completed when the node has stopped
   */
  public Future<Void> stop(String reason) {
    if (!stopping.compareAndSet(false, true)) {
      return stopped.future();
    }
    LOG.info("node stopping: {}", reason);
    stopRequested.tryComplete();
    Future<Void> chain = Future.succeededFuture();
    while (!deployments.isEmpty()) {
      String depId = deployments.pop();
      chain = chain.compose(v -> undeploy(depId));
    }
    chain
        .compose(v -> context == null ? Future.succeededFuture() : NodeRuns.end(db, context.run(), reason))
        .recover(err -> {
          LOG.warn("could not record the clean stop: {}", err.getMessage());
          return Future.succeededFuture();
        })
        .compose(v -> abort())
        .onComplete(ar -> {
          LOG.info("node stopped");
          stopped.tryComplete();
        });
    return stopped.future();
  }

  /** The highest leadership term in this node's ledger: terms keep growing across cluster restarts. */
  private Future<Long> highestRecordedTerm() {
    return db.reader().query("SELECT coalesce(max(term), 0) AS term FROM ledger").execute()
        .map(rows -> rows.iterator().next().getLong("term"));
  }

  /** Releases whatever was acquired, in reverse order; never fails. */
  private Future<Void> abort() {
    Future<Void> dbClosed = db == null ? Future.succeededFuture() : db.close().otherwiseEmpty();
    return dbClosed
        .compose(v -> vertx == null ? Future.succeededFuture() : vertx.close().otherwiseEmpty())
        .onComplete(ar -> {
          if (metrics != null) {
            metrics.close();
          }
          if (terms != null) {
            terms.close();
          }
          closeQuietly(lock);
        });
  }

  private static void closeQuietly(DataDirLock lock) {
    try {
      lock.close();
    } catch (IOException e) {
      LOG.warn("could not release the data folder lock: {}", e.getMessage());
    }
  }

  /** @return completed when a graceful stop begins */
  public Future<Void> stopRequested() {
    return stopRequested.future();
  }

  /** @return completed once the node has stopped */
  public Future<Void> stopped() {
    return stopped.future();
  }

  /** @return what the node is */
  public NodeContext context() {
    return context;
  }

  /** @return the port the HTTP API listens on */
  public int apiPort() {
    return api.actualPort();
  }

  /** @return the node's Vert.x */
  public Vertx vertx() {
    return vertx;
  }

  /** @return the node's Hazelcast member */
  public HazelcastInstance hazelcast() {
    return clusterManager.getHazelcastInstance();
  }

  /** @return the node's plugins */
  public PluginService plugins() {
    return plugins;
  }

  /** @return the node's database */
  public Database database() {
    return db;
  }
}
