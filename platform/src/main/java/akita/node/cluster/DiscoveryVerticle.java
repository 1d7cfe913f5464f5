package akita.node.cluster;

import akita.node.NodeContext;
import akita.node.bus.BusError;
import akita.node.config.NodeConfig;
import akita.node.ledger.LedgerAddresses;
import akita.node.ledger.LedgerEventTypes;
import akita.node.plugin.PluginAddresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.OperatingSystemMXBean;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces this node to the cluster every heartbeat and on every change, and keeps this node's
 * {@link ClusterView}: health from heartbeats and Hazelcast membership, RTT from pings. Also receives the
 * leader's commands to this node (drain, undrain), refusing a stale term.
 */
public final class DiscoveryVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(DiscoveryVerticle.class);
  /** How long a node that left stays visible as OFFLINE. */
  private static final long RETAIN_OFFLINE_MS = 3_600_000;
  private static final long PING_TIMEOUT_MS = 2_000;
  private static final long UNRECORDED_MS = 10_000;
  private static final int UNRECORDED_MAX = 1_000;

  private final NodeContext node;
  private final NodeConfig cfg;
  private final Membership membership;
  private final TermFence fence;
  private final String apiUrl;
  private final ClusterView view;
  private String memberUuid = "";
  private AutoCloseable membershipListener;
  private boolean draining;
  private int running;
  private List<String> taskTypes = List.of();
  private io.vertx.core.json.JsonArray plugins = new io.vertx.core.json.JsonArray();
  private List<String> capabilities;
  private long seq;
  /** Whether this node leads: only the leader records node events, so the cluster ledger has each once. */
  private boolean leading;
  /** Node events seen while not leading, kept briefly for the case that this node is about to lead. */
  private final java.util.ArrayDeque<JsonObject> unrecorded = new java.util.ArrayDeque<>();

  /**
   * @param node this node
   * @param cfg its configuration (health timing, slots)
   * @param membership the cluster membership
   * @param fence this node's term fence, shared with the other receivers of leader commands
   * @param apiUrl this node's API base URL, announced so tools can reach any node
   */
  public DiscoveryVerticle(NodeContext node, NodeConfig cfg, Membership membership, TermFence fence, String apiUrl) {
    this.node = node;
    this.cfg = cfg;
    this.membership = membership;
    this.fence = fence;
    this.apiUrl = apiUrl;
    this.view = new ClusterView(cfg.health().suspectAfterMs(), cfg.health().offlineAfterMs(), RETAIN_OFFLINE_MS);
  }

  @Override
  public Future<?> start() {
    for (Member m : membership.members()) {
      if (m.local()) {
        memberUuid = m.uuid();
      }
    }
    var bus = vertx.eventBus();
    var consumers = List.of(
        bus.<JsonObject>consumer(ClusterAddresses.ANNOUNCE, this::onAnnounce),
        bus.<JsonObject>consumer(ClusterAddresses.commands(node.id()), this::onCommand),
        bus.<JsonObject>consumer(ClusterAddresses.ping(node.id()), m -> m.reply(new JsonObject())),
        bus.<JsonObject>localConsumer(ClusterAddresses.VIEW, this::onView),
        bus.<JsonObject>consumer(akita.node.tasks.TaskAddresses.QUARANTINED, m -> {
          if (m.body() != null && "NODE_QUARANTINED".equals(m.body().getString("event"))) {
            view.quarantine(m.body().getString("nodeId"),
                java.time.Instant.parse(m.body().getString("until")).toEpochMilli());
          }
        }),
        bus.<JsonObject>localConsumer(ClusterAddresses.LEADER_CHANGED, m -> onLeaderChanged(m.body())),
        bus.<JsonObject>localConsumer(akita.node.worker.WorkerAddresses.LOAD, m -> running = m.body().getInteger(
            "running", 0)),
        bus.<JsonObject>localConsumer(PluginAddresses.CHANGED, m -> {
          plugins(m.body());
          announce();
        }));
    var context = vertx.getOrCreateContext();
    membershipListener = membership.onChange(merged -> context.runOnContext(v -> onMembershipChange(merged)));
    long interval = cfg.health().heartbeatIntervalMs();
    vertx.setPeriodic(interval, id -> {
      announce();
      record(view.tick(System.currentTimeMillis()));
    });
    vertx.setPeriodic(Math.max(1_000, 2 * interval), id -> pingAll());
    capabilities = List.copyOf(node.capabilities());
    return Future.all(consumers.stream().map(c -> c.completion()).toList())
        .compose(v -> bus.<JsonObject>request(PluginAddresses.LOCAL, new JsonObject())
            .onSuccess(m -> plugins(m.body()))
            .recover(err -> {
              LOG.warn("no plugin service answered; announcing no task types: {}", err.getMessage());
              return Future.succeededFuture();
            }))
        .onSuccess(v -> {
          record(view.members(membership.members(), System.currentTimeMillis()));
          announce();
        });
  }

  @Override
  public Future<?> stop() throws Exception {
    membershipListener.close();
    return Future.succeededFuture();
  }

  private void plugins(JsonObject summary) {
    plugins = new io.vertx.core.json.JsonArray();
    for (Object o : summary.getJsonArray("plugins", new io.vertx.core.json.JsonArray())) {
      JsonObject p = (JsonObject) o;
      JsonObject brief = new JsonObject().put("id", p.getString("id")).put("version", p.getString("version"))
          .put("state", p.getString("state")).put("source", p.getString("source"))
          .put("taskTypes", p.getJsonArray("taskTypes"));
      if (p.containsKey("error")) {
        brief.put("error", p.getString("error"));
      }
      plugins.add(brief);
    }
    taskTypes = summary.getJsonArray("taskTypes", new io.vertx.core.json.JsonArray()).stream()
        .map(String::valueOf).toList();
    java.util.Set<String> caps = new java.util.TreeSet<>(node.capabilities());
    summary.getJsonArray("capabilities", new io.vertx.core.json.JsonArray()).forEach(c -> caps.add(String.valueOf(c)));
    capabilities = List.copyOf(caps);
  }

  private void onMembershipChange(boolean merged) {
    long now = System.currentTimeMillis();
    if (merged) {
      LOG.info("split brain healed: rebuilding the cluster view from fresh announcements");
      view.reset(node.id());
    }
    record(view.members(membership.members(), now));
    announce();
  }

  private NodeInfo info() {
    return new NodeInfo(node.id(), node.name(), node.version(), node.cluster(), memberUuid,
        node.roles().stream().map(r -> r.id()).sorted().toList(), capabilities, taskTypes, cfg.slots(), running, draining, resources(), apiUrl, node.startedAtMs(), ++seq,
        plugins, cfg.slots() * cfg.prefetch());
  }

  private void announce() {
    vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, info().toJson());
  }

  private void onAnnounce(Message<JsonObject> msg) {
    NodeInfo info;
    try {
      info = NodeInfo.fromJson(msg.body());
    } catch (IllegalArgumentException | NullPointerException e) {
      LOG.warn("ignored a malformed announcement: {}", e.getMessage());
      return;
    }
    if (!node.cluster().equals(info.cluster())) {
      LOG.warn("ignored an announcement from node {} of cluster '{}'", info.name(), info.cluster());
      return;
    }
    ClusterView.Transition t = view.heard(info, System.currentTimeMillis());
    if (t != null) {
      record(List.of(t));
    }
  }

  private void onView(Message<JsonObject> msg) {
    String wanted = msg.body() == null ? null : msg.body().getString("nodeId");
    if (wanted == null) {
      boolean raw = msg.body() != null && msg.body().getBoolean("raw", false);
      msg.reply(new JsonObject().put("cluster", node.cluster()).put("nodes", view.nodesJson(raw)));
      return;
    }
    String id = view.resolve(wanted);
    if (id == null) {
      new BusError(404, "NODE_NOT_FOUND", "no node with id or name '" + wanted + "' in this cluster").failOn(msg);
      return;
    }
    msg.reply(view.nodeJson(id));
  }

  private void onCommand(Message<JsonObject> msg) {
    JsonObject c = msg.body();
    if (c == null || !(c.getValue("term") instanceof Number) || !(c.getValue("op") instanceof String)) {
      new BusError(400, "BAD_COMMAND", "a leader command needs a numeric 'term' and an 'op'").failOn(msg);
      return;
    }
    long term = c.getLong("term");
    if (!fence.admit(term)) {
      LOG.warn("refused '{}' from {} with stale term {} (highest seen {})", c.getString("op"),
          c.getString("leaderId"), term, fence.highest());
      vertx.eventBus().send(LedgerAddresses.APPEND, new JsonObject().put("type", LedgerEventTypes.STALE_TERM_REFUSED)
          .put("subject", c.getString("leaderId")).put("term", fence.highest())
          .put("data", new JsonObject().put("op", c.getString("op")).put("staleTerm", term)));
      new BusError(409, "STALE_TERM", "term " + term + " is older than term " + fence.highest()
          + " this node has seen; the sender is no longer the leader").failOn(msg);
      return;
    }
    switch (c.getString("op")) {
      case "drain", "undrain" -> {
        boolean want = c.getString("op").equals("drain");
        if (want != draining) {
          draining = want;
          LOG.info("node {} by the leader (term {})", want ? "drained" : "undrained", term);
        }
        NodeInfo info = info();
        vertx.eventBus().publish(ClusterAddresses.ANNOUNCE, info.toJson());
        msg.reply(new JsonObject().put("ok", true).put("term", term).put("node", info.toJson()));
      }
      default -> new BusError(400, "BAD_COMMAND", "unknown op '" + c.getString("op") + "'").failOn(msg);
    }
  }

  private void pingAll() {
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(PING_TIMEOUT_MS);
    for (String id : view.reachable()) {
      if (id.equals(node.id())) {
        view.rtt(id, 0);
        continue;
      }
      long t0 = System.nanoTime();
      vertx.eventBus().request(ClusterAddresses.ping(id), new JsonObject(), opts)
          .onSuccess(r -> view.rtt(id, (System.nanoTime() - t0) / 1e6));
    }
  }

  private void record(List<ClusterView.Transition> transitions) {
    for (ClusterView.Transition t : transitions) {
      String type;
      if (t.to() == NodeHealth.OFFLINE) {
        type = LedgerEventTypes.NODE_LEFT;
        LOG.warn("node {} ({}) is OFFLINE", t.name(), t.nodeId());
      } else if (t.from() == null || t.from() == NodeHealth.OFFLINE) {
        type = LedgerEventTypes.NODE_JOINED;
        LOG.info("node {} ({}) is {}", t.name(), t.nodeId(), t.to());
      } else {
        type = LedgerEventTypes.NODE_STATE_CHANGED;
        LOG.info("node {} ({}) is {} (was {})", t.name(), t.nodeId(), t.to(), t.from());
      }
      JsonObject event = new JsonObject().put("type", type).put("subject", t.nodeId())
          .put("data", new JsonObject().put("name", t.name()).put("from", t.from() == null ? null : t.from().name())
              .put("to", t.to().name()).put("at", System.currentTimeMillis()));
      if (leading) {
        vertx.eventBus().send(LedgerAddresses.APPEND, event);
      } else {
        unrecorded.addLast(event);
        if (unrecorded.size() > UNRECORDED_MAX) {
          unrecorded.removeFirst();
        }
      }
    }
  }

  /**
   * On becoming leader, records the node events this node saw in the last {@value #UNRECORDED_MS} ms: the
   * previous leader may have died before recording them (its own departure among them).
   */
  private void onLeaderChanged(JsonObject state) {
    boolean was = leading;
    leading = state != null && state.getBoolean("isLeader", false);
    if (leading && !was) {
      long since = System.currentTimeMillis() - UNRECORDED_MS;
      for (JsonObject e : unrecorded) {
        if (e.getJsonObject("data").getLong("at") >= since) {
          vertx.eventBus().send(LedgerAddresses.APPEND, e);
        }
      }
    }
    unrecorded.clear();
  }

  /** A cheap sample from the JVM until the resource monitor (OSHI) takes over. */
  private static JsonObject resources() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    JsonObject r = new JsonObject()
        .put("cpus", os.getAvailableProcessors())
        .put("loadAverage", os.getSystemLoadAverage())
        .put("heapUsedBytes", mem.getHeapMemoryUsage().getUsed())
        .put("heapMaxBytes", mem.getHeapMemoryUsage().getMax());
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      r.put("cpuLoad", sun.getCpuLoad()).put("memoryTotalBytes", sun.getTotalMemorySize())
          .put("memoryFreeBytes", sun.getFreeMemorySize());
    }
    return r;
  }
}
