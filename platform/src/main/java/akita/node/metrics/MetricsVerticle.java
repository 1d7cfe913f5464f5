package akita.node.metrics;

import akita.node.NodeContext;
import akita.node.cluster.ClusterAddresses;
import akita.node.cluster.NodeHealth;
import akita.node.ledger.LedgerAddresses;
import akita.node.resources.ResourcesAddresses;
import akita.node.tasks.TaskAddresses;
import akita.node.tasks.TaskState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what the node's services publish into {@code akita_*} meters, and answers {@link MetricsAddresses#SCRAPE}
 * with the registry in the Prometheus text format. Sources: the scheduler's state changes and once-a-second
 * figures (on the leader), the cluster view and leadership state (sampled every {@value #VIEW_MS} ms), the
 * resource samples, and the ledger's commits. Every name and label is listed in docs/observability.md.
 */
public final class MetricsVerticle extends VerticleBase {

  /** The resources service's local sample publish. */
  static final String RESOURCES_SAMPLE = ResourcesAddresses.SAMPLE;
  /** How often the cluster view and leadership state are sampled. */
  static final long VIEW_MS = 2_000;
  /** Scheduler figures older than this are dropped: this node no longer leads. */
  static final long SCHEDULER_STALE_MS = 3_000;
  /** Resource figures are dropped after this many sample intervals without a sample. */
  private static final java.util.regex.Pattern LEDGER_TYPE = java.util.regex.Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
  private static final int RESOURCE_STALE_INTERVALS = 3;
  private static final long DEFAULT_RESOURCE_INTERVAL_MS = 5_000;
  private static final DeliveryOptions LOCAL_ASK = new DeliveryOptions().setSendTimeout(5_000);

  private static final Logger LOG = LoggerFactory.getLogger(MetricsVerticle.class);

  private final NodeContext node;
  private final PrometheusMeterRegistry registry;
  private TaskMeters tasks;

  private volatile long schedulerSeenAt;
  private GaugeFamily schedulerTerm;
  private GaugeFamily schedulerTasks;
  private GaugeFamily schedulerQueue;
  private GaugeFamily schedulerAssigned;
  private GaugeFamily schedulerWorkers;
  private GaugeFamily schedulerKnown;

  private GaugeFamily clusterNodes;
  private GaugeFamily nodeSlots;
  private GaugeFamily nodeSlotsFree;
  private GaugeFamily nodeRunning;
  private GaugeFamily nodeLoad;
  private GaugeFamily nodeDraining;
  private GaugeFamily nodeLeader;
  private GaugeFamily clusterTerm;
  private GaugeFamily quorumOk;
  private GaugeFamily quorumPresent;
  private GaugeFamily quorumExpected;

  private Resources resources;
  private long resourcesSeenAt;
  private long resourcesStaleMs = RESOURCE_STALE_INTERVALS * DEFAULT_RESOURCE_INTERVAL_MS;

  private final AtomicLong ledgerHead = new AtomicLong(-1);
  private final Map<String, Counter> ledgerEntries = new HashMap<>();

  /**
   * @param node this node
   * @param registry the node's registry (see {@link NodeMetrics})
   */
  public MetricsVerticle(NodeContext node, PrometheusMeterRegistry registry) {
    this.node = node;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    tasks = new TaskMeters(registry);
    registerGauges();
    resources = new Resources();
    var bus = vertx.eventBus();
    List<MessageConsumer<JsonObject>> consumers = List.of(
        bus.localConsumer(MetricsAddresses.SCRAPE, this::onScrape),
        bus.localConsumer(TaskAddresses.TRANSITIONS, m -> {
          if (m.body() != null) {
            tasks.onTransitions(m.body().getJsonArray("transitions", new JsonArray()));
          }
        }),
        bus.localConsumer(TaskAddresses.STATS, m -> onSchedulerStats(m.body())),
        bus.localConsumer(RESOURCES_SAMPLE, m -> onResourceSample(m.body())),
        bus.localConsumer(LedgerAddresses.COMMITTED, m -> onLedgerCommitted(m.body())));
    vertx.setPeriodic(1_000, id -> dropStale(System.currentTimeMillis()));
    vertx.setPeriodic(VIEW_MS, id -> sampleCluster());
    sampleCluster();
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }

  private void registerGauges() {
    Gauge.builder("akita.node.info", () -> 1)
        .description("Always 1; its labels name this node: node_id, node_name, cluster, version")
        .tags("node_id", node.id(), "node_name", node.name(), "cluster", node.cluster(), "version", node.version())
        .register(registry);
    Gauge.builder("akita.scheduler.active", this, v -> v.schedulerActive(System.currentTimeMillis()) ? 1 : 0)
        .description("1 while this node's scheduler is active (it leads and published its figures within the last "
            + SCHEDULER_STALE_MS / 1000 + " s), else 0")
        .register(registry);
    Gauge.builder("akita.ledger.head.seq", ledgerHead, AtomicLong::get)
        .description("The highest seq in this node's copy of the cluster ledger (-1 until known)")
        .register(registry);

    schedulerTerm = new GaugeFamily(registry, "akita.scheduler.term", "The leadership term the scheduler acts in "
        + "(leader only)", null);
    schedulerTasks = new GaugeFamily(registry, "akita.scheduler.tasks", "Tasks the leader holds, by state (finished "
        + "ones until --task-retention-ms evicts them; leader only)", null);
    schedulerQueue = new GaugeFamily(registry, "akita.scheduler.queue.depth", "Tasks waiting in the leader's queue "
        + "for a worker (leader only)", null);
    schedulerAssigned = new GaugeFamily(registry, "akita.scheduler.assigned.tasks", "Attempts assigned to workers "
        + "and not yet ended (leader only)", null);
    schedulerWorkers = new GaugeFamily(registry, "akita.scheduler.workers", "Workers the scheduler knows (leader "
        + "only)", null);
    schedulerKnown = new GaugeFamily(registry, "akita.scheduler.known.tasks", "Tasks in the leader's memory, "
        + "all states (leader only)", null);

    clusterNodes = new GaugeFamily(registry, "akita.cluster.nodes", "Nodes in this node's cluster view, by state "
        + "(HEALTHY, SUSPECT, OFFLINE)", null);
    nodeSlots = new GaugeFamily(registry, "akita.node.slots", "Task slots this node runs at once", null);
    nodeSlotsFree = new GaugeFamily(registry, "akita.node.slots.free", "Free task slots on this node (0 while "
        + "draining)", null);
    nodeRunning = new GaugeFamily(registry, "akita.node.running.tasks", "Attempts running on this node", null);
    nodeLoad = new GaugeFamily(registry, "akita.node.load.ratio", "Running attempts / slots on this node, 0 to 1",
        null);
    nodeDraining = new GaugeFamily(registry, "akita.node.draining", "1 while this node is draining, else 0", null);
    nodeLeader = new GaugeFamily(registry, "akita.node.leader", "1 while this node is the cluster's leader, else 0",
        null);
    clusterTerm = new GaugeFamily(registry, "akita.cluster.term", "The leadership term this node knows", null);
    quorumOk = new GaugeFamily(registry, "akita.cluster.quorum.ok", "1 while enough expected members are present "
        + "to elect a leader, else 0", null);
    quorumPresent = new GaugeFamily(registry, "akita.cluster.quorum.present", "Expected members present", null);
    quorumExpected = new GaugeFamily(registry, "akita.cluster.quorum.expected", "Members the cluster expects", null);
  }

  private void onScrape(Message<JsonObject> msg) {
    String format = msg.body() == null ? "prometheus" : msg.body().getString("format", "prometheus");
    String contentType = switch (format) {
      case "openmetrics" -> "application/openmetrics-text; version=1.0.0; charset=utf-8";
      case "prometheus" -> "text/plain; version=0.0.4; charset=utf-8";
      default -> null;
    };
    if (contentType == null) {
      msg.fail(400, "format must be prometheus or openmetrics");
      return;
    }
    // A scrape walks every meter: off the event loop, since a large registry takes milliseconds.
    vertx.executeBlocking(() -> registry.scrape(contentType), false)
        .onSuccess(text -> msg.reply(new JsonObject().put("contentType", contentType).put("text", text)))
        .onFailure(err -> {
          LOG.warn("metrics scrape failed", err);
          msg.fail(500, "metrics scrape failed: " + err.getMessage());
        });
  }

  // ---- scheduler (leader only) ---------------------------------------------------------------------------

  private boolean schedulerActive(long now) {
    return now - schedulerSeenAt <= SCHEDULER_STALE_MS;
  }

  private void onSchedulerStats(JsonObject s) {
    if (s == null) {
      return;
    }
    schedulerSeenAt = System.currentTimeMillis();
    JsonObject byState = s.getJsonObject("byState", new JsonObject());
    Map<Tags, Double> states = new LinkedHashMap<>();
    for (TaskState state : TaskState.values()) {
      states.put(Tags.of("state", state.name()), number(byState.getValue(state.name())));
    }
    schedulerTasks.set(states);
    schedulerTerm.set(number(s.getValue("term")));
    schedulerQueue.set(number(s.getValue("queued")));
    schedulerAssigned.set(number(s.getValue("assigned")));
    schedulerWorkers.set(number(s.getValue("workers")));
    schedulerKnown.set(number(s.getValue("known")));
  }

  private void dropStale(long now) {
    if (!schedulerActive(now)) {
      schedulerTasks.clear();
      schedulerTerm.clear();
      schedulerQueue.clear();
      schedulerAssigned.clear();
      schedulerWorkers.clear();
      schedulerKnown.clear();
    }
    if (resourcesSeenAt > 0 && now - resourcesSeenAt > resourcesStaleMs) {
      resources.clear();
      resourcesSeenAt = 0;
    }
  }

  // ---- cluster view and leadership ---------------------------------------------------------------------

  private void sampleCluster() {
    if (ledgerHead.get() < 0) {
      readLedgerHead();
    }
    var bus = vertx.eventBus();
    bus.<JsonObject>request(ClusterAddresses.VIEW, new JsonObject(), LOCAL_ASK)
        .onSuccess(m -> onView(m.body().getJsonArray("nodes", new JsonArray())))
        .onFailure(err -> LOG.debug("cluster view not available for metrics: {}", err.getMessage()));
    bus.<JsonObject>request(ClusterAddresses.LEADER_STATE, new JsonObject(), LOCAL_ASK)
        .onSuccess(m -> onLeaderState(m.body()))
        .onFailure(err -> LOG.debug("leadership state not available for metrics: {}", err.getMessage()));
  }

  private void onView(JsonArray nodes) {
    Map<String, Integer> byState = new HashMap<>();
    for (Object o : nodes) {
      if (!(o instanceof JsonObject n)) {
        continue;
      }
      byState.merge(n.getString("state", "UNKNOWN"), 1, Integer::sum);
      if (node.id().equals(n.getString("id"))) {
        JsonObject slots = n.getJsonObject("slots", new JsonObject());
        nodeSlots.set(number(slots.getValue("total")));
        nodeSlotsFree.set(number(slots.getValue("free")));
        nodeRunning.set(number(n.getValue("running")));
        nodeLoad.set(number(n.getValue("load")));
        nodeDraining.set(n.getBoolean("draining", false) ? 1 : 0);
      }
    }
    Map<Tags, Double> states = new LinkedHashMap<>();
    for (NodeHealth h : NodeHealth.values()) {
      states.put(Tags.of("state", h.name()), (double) byState.getOrDefault(h.name(), 0));
    }
    clusterNodes.set(states);
  }

  private void onLeaderState(JsonObject s) {
    nodeLeader.set(s.getBoolean("isLeader", false) ? 1 : 0);
    clusterTerm.set(number(s.getValue("term")));
    JsonObject q = s.getJsonObject("quorum");
    if (q != null) {
      quorumOk.set(q.getBoolean("ok", false) ? 1 : 0);
      quorumPresent.set(number(q.getValue("present")));
      quorumExpected.set(number(q.getValue("expected")));
    }
  }

  // ---- resources ------------------------------------------------------------------------------------------

  private void onResourceSample(JsonObject s) {
    if (s == null) {
      return;
    }
    resourcesSeenAt = System.currentTimeMillis();
    long interval = s.getValue("intervalMs") instanceof Number n && n.longValue() > 0 ? n.longValue()
        : DEFAULT_RESOURCE_INTERVAL_MS;
    resourcesStaleMs = RESOURCE_STALE_INTERVALS * interval;
    resources.set(s);
  }

  /** The gauges fed by the resources service's samples (docs/resources.md has the sample's fields). */
  private final class Resources {
    private final GaugeFamily cpu = family("akita.node.cpu.usage.ratio", "CPU busy share of the whole machine, 0 to 1",
        null);
    private final GaugeFamily cores = family("akita.node.cpu.cores", "Logical CPU cores", null);
    private final GaugeFamily loadAverage = family("akita.node.load.average", "System load average over the "
        + "window (1m, 5m, 15m); absent where the OS has none", null);
    private final GaugeFamily memTotal = family("akita.node.memory.total", "Physical memory", "bytes");
    private final GaugeFamily memAvailable = family("akita.node.memory.available", "Memory available to new work",
        "bytes");
    private final GaugeFamily memUsed = family("akita.node.memory.used", "Memory in use (total - available)",
        "bytes");
    private final GaugeFamily swapTotal = family("akita.node.swap.total", "Swap space", "bytes");
    private final GaugeFamily swapUsed = family("akita.node.swap.used", "Swap in use", "bytes");
    private final GaugeFamily diskTotal = family("akita.node.disk.total", "File system size, by mount", "bytes");
    private final GaugeFamily diskFree = family("akita.node.disk.free", "File system space usable, by mount",
        "bytes");
    private final GaugeFamily diskUsed = family("akita.node.disk.used", "File system space used, by mount", "bytes");
    private final GaugeFamily diskRead = family("akita.node.disk.read.bytes.per.second", "Bytes read per second "
        + "over the last sample interval, by mount", null);
    private final GaugeFamily diskWrite = family("akita.node.disk.write.bytes.per.second", "Bytes written per "
        + "second over the last sample interval, by mount", null);
    private final GaugeFamily netRx = family("akita.node.network.receive.bytes.per.second", "Bytes received per "
        + "second, by interface", null);
    private final GaugeFamily netTx = family("akita.node.network.transmit.bytes.per.second", "Bytes sent per "
        + "second, by interface", null);
    private final GaugeFamily netRxPackets = family("akita.node.network.receive.packets.per.second", "Packets "
        + "received per second, by interface", null);
    private final GaugeFamily netTxPackets = family("akita.node.network.transmit.packets.per.second", "Packets "
        + "sent per second, by interface", null);
    private final GaugeFamily openFds = family("akita.node.open.file.descriptors", "File descriptors the node's "
        + "process has open", null);
    private final GaugeFamily maxFds = family("akita.node.max.file.descriptors", "The process's file descriptor "
        + "limit", null);
    private final List<GaugeFamily> all = List.of(cpu, cores, loadAverage, memTotal, memAvailable, memUsed,
        swapTotal, swapUsed, diskTotal, diskFree, diskUsed, diskRead, diskWrite, netRx, netTx, netRxPackets,
        netTxPackets, openFds, maxFds);

    private GaugeFamily family(String name, String help, String unit) {
      return new GaugeFamily(registry, name, help, unit);
    }

    void set(JsonObject s) {
      JsonObject c = s.getJsonObject("cpu", new JsonObject());
      single(cpu, c.getValue("total"));
      single(cores, c.getValue("cores"));
      Map<Tags, Double> load = new LinkedHashMap<>();
      if (s.getValue("loadAverage") instanceof JsonArray la) {
        String[] windows = {"1m", "5m", "15m"};
        for (int i = 0; i < Math.min(3, la.size()); i++) {
          if (la.getValue(i) instanceof Number n && n.doubleValue() >= 0) {
            load.put(Tags.of("window", windows[i]), n.doubleValue());
          }
        }
      }
      loadAverage.set(load);
      JsonObject mem = s.getJsonObject("memory", new JsonObject());
      single(memTotal, mem.getValue("totalBytes"));
      single(memAvailable, mem.getValue("availableBytes"));
      single(memUsed, mem.getValue("usedBytes"));
      JsonObject swap = s.getJsonObject("swap", new JsonObject());
      single(swapTotal, swap.getValue("totalBytes"));
      single(swapUsed, swap.getValue("usedBytes"));
      perItem(s.getJsonArray("disks"), "mount", "mount", Map.of(diskTotal, "totalBytes", diskFree, "freeBytes",
          diskUsed, "usedBytes", diskRead, "readBytesPerSecond", diskWrite, "writeBytesPerSecond"));
      perItem(s.getJsonArray("network"), "name", "interface", Map.of(netRx, "rxBytesPerSecond", netTx,
          "txBytesPerSecond", netRxPackets, "rxPacketsPerSecond", netTxPackets, "txPacketsPerSecond"));
      single(openFds, s.getValue("openFileDescriptors"));
      single(maxFds, s.getValue("maxFileDescriptors"));
    }

    /** A value the sample may lack (null, or -1 for "unknown"): the gauge is then absent rather than wrong. */
    private void single(GaugeFamily f, Object value) {
      if (value instanceof Number n && n.doubleValue() >= 0) {
        f.set(n.doubleValue());
      } else {
        f.clear();
      }
    }

    private void perItem(JsonArray items, String key, String label, Map<GaugeFamily, String> fields) {
      fields.forEach((family, field) -> {
        Map<Tags, Double> values = new LinkedHashMap<>();
        if (items != null) {
          for (Object o : items) {
            if (o instanceof JsonObject item && item.getValue(key) instanceof String name
                && item.getValue(field) instanceof Number n && n.doubleValue() >= 0) {
              values.put(Tags.of(label, name), n.doubleValue());
            }
          }
        }
        family.set(values);
      });
    }

    void clear() {
      all.forEach(GaugeFamily::clear);
    }
  }

  // ---- ledger ---------------------------------------------------------------------------------------------

  private void readLedgerHead() {
    vertx.eventBus().<JsonObject>request(LedgerAddresses.head(node.id()), new JsonObject(), LOCAL_ASK)
        .onSuccess(m -> {
          if (m.body() != null && m.body().getValue("seq") instanceof Number n) {
            ledgerHead.accumulateAndGet(n.longValue(), Math::max);
          }
        })
        .onFailure(err -> LOG.debug("ledger head not available for metrics yet: {}", err.getMessage()));
  }

  private void onLedgerCommitted(JsonObject body) {
    if (body == null) {
      return;
    }
    for (Object o : body.getJsonArray("entries", new JsonArray())) {
      if (!(o instanceof JsonObject e)) {
        continue;
      }
      if (e.getValue("seq") instanceof Number seq) {
        ledgerHead.accumulateAndGet(seq.longValue(), Math::max);
      }
      Object typeValue = e.getValue("type");
      Counter known = typeValue instanceof String t ? ledgerEntries.get(t) : null;
      if (known != null) {
        known.increment(); // the common case: a type seen before, already checked
        continue;
      }
      String type = typeValue instanceof String t && LEDGER_TYPE.matcher(t).matches() ? t : "OTHER";
      ledgerEntries.computeIfAbsent(type, t -> Counter.builder("akita.ledger.entries")
          .description("Entries committed to this node's copy of the cluster ledger since it started, by event type")
          .tag("type", t).register(registry)).increment();
    }
  }

  private static double number(Object v) {
    return v instanceof Number n ? n.doubleValue() : 0;
  }
}
