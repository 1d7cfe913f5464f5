package akita.node.bench;

import akita.bench.ClusterAccess;
import akita.node.boot.HazelcastSetup;
import akita.node.config.ConfigLoader;
import akita.node.config.ConfigOption;
import akita.node.config.NodeConfig;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import com.hazelcast.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/** The platform's side of the {@code bench} command: Hazelcast settings, simulated workers, logging. */
public final class PlatformBenchAccess implements ClusterAccess {

  /** How long joining a cluster may take. */
  static final long JOIN_TIMEOUT_S = 60;

  @Override
  public Vertx join(String clusterName, List<String> members, int hzPort) throws Exception {
    Config hz = HazelcastSetup.build(config(clusterName, members, hzPort), "bench-" + UUID.randomUUID(),
        "bench-client");
    // Not an Akita node: no member attributes, so it never counts toward the quorum and is never elected; a lite
    // member, so it holds none of the cluster's data and does none of its work.
    hz.getMemberAttributeConfig().setAttributes(new HashMap<>());
    hz.setLiteMember(true);
    return Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered().toCompletionStage().toCompletableFuture().get(JOIN_TIMEOUT_S, TimeUnit.SECONDS);
  }

  @Override
  public WorkerFleet fleet(String clusterName, List<String> members, int hzPort, String taskType, int slots)
      throws Exception {
    return SimulatedFleet.join(clusterName, members, hzPort, taskType, slots);
  }

  /** The settings of a member that joins the given nodes from this JVM. */
  static NodeConfig config(String clusterName, List<String> members, int hzPort) {
    Map<ConfigOption, String> f = ConfigLoader.newFlagMap();
    f.put(ConfigOption.CLUSTER_NAME, clusterName);
    f.put(ConfigOption.MEMBERS, String.join(",", members));
    f.put(ConfigOption.HZ_PORT, String.valueOf(hzPort));
    f.put(ConfigOption.ROLES, "worker");
    return ConfigLoader.load(f, Map.of(), Path.of("plugins"));
  }

  @Override
  public void quietLogging() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    // Joining members log harmless warnings while the member list settles; keep real errors only.
    ctx.getLogger("com.hazelcast").setLevel(Level.ERROR);
    ctx.getLogger("com.hazelcast.internal.cluster.ClusterService").setLevel(Level.ERROR);
    // Members that leave (simulated workers, nodes stopping) make the client's event bus warn as it lets go.
    ctx.getLogger("io.vertx.core.eventbus.impl.clustered").setLevel(Level.ERROR);
    if (root.getAppender("CONSOLE") instanceof ConsoleAppender<ILoggingEvent> console) {
      console.stop();
      console.setTarget("System.err");
      console.start();
    }
  }
}
