package akita.node.boot;

import akita.node.cluster.HazelcastMembership;
import akita.node.config.HostPort;
import akita.node.config.NodeConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the node's Hazelcast configuration in code. Vert.x's bundled {@code default-cluster.xml} enables
 * multicast, so it is never used: this config binds to one interface, joins only the members it is given,
 * and never contacts anything the operator did not name (no multicast, no cloud auto-detection, no
 * phone-home).
 */
public final class HazelcastSetup {

  /** Set this system property to a Hazelcast XML file to take over the network settings (advanced). */
  static final String EXTERNAL_CONFIG_PROPERTY = "vertx.hazelcast.config";

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastSetup.class);

  private HazelcastSetup() {
  }

  /**
   * Builds the Hazelcast configuration of a node (or of a simulated or client member in tests).
   *
   * @param cfg the node configuration (cluster name, network, roles, failure detection)
   * @param nodeId the node id, set as a member attribute
   * @param nodeName the node name, set as a member attribute
   * @return the configuration
   */
  public static Config build(NodeConfig cfg, String nodeId, String nodeName) {
    Config c;
    String external = System.getProperty(EXTERNAL_CONFIG_PROPERTY);
    if (external != null) {
      // Vert.x would silently fall back to its bundled defaults, which multicast: refuse a missing file.
      boolean exists = external.startsWith("classpath:")
          ? HazelcastSetup.class.getClassLoader().getResource(external.substring("classpath:".length())) != null
          : java.nio.file.Files.isRegularFile(java.nio.file.Path.of(external));
      if (!exists) {
        throw new IllegalStateException("-D" + EXTERNAL_CONFIG_PROPERTY + "=" + external
            + " names no file (or, with the classpath: prefix, no class-path resource)");
      }
      c = ConfigUtil.loadConfig();
      LOG.warn("Hazelcast network settings come from {}; --bind-host, --hz-port and --members are ignored",
          System.getProperty(EXTERNAL_CONFIG_PROPERTY));
    } else {
      c = new Config();
      network(c.getNetworkConfig(), cfg.cluster());
    }
    c.setClusterName(cfg.clusterName());
    c.setInstanceName("akita-" + nodeId);
    // Every member can tell, from the member list alone, which Akita node it is and whether it may lead.
    c.getMemberAttributeConfig().setAttribute(HazelcastMembership.ATTR_NODE_ID, nodeId);
    c.getMemberAttributeConfig().setAttribute(HazelcastMembership.ATTR_NODE_NAME, nodeName);
    c.getMemberAttributeConfig().setAttribute(HazelcastMembership.ATTR_ROLES, String.join(",",
        cfg.roles().stream().map(akita.node.config.Role::id).sorted().toList()));
    // Never reach out on our own, whatever the config file says.
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
    c.setProperty("hazelcast.socket.bind.any", "false");
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.shutdownhook.enabled", "false"); // the node leaves the cluster itself, in order
    c.setProperty("hazelcast.graceful.shutdown.max.wait", "20");
    // Form a cluster promptly when no listed member answers, and heal a split quickly when two nodes that
    // started at the same moment each formed their own.
    c.setProperty("hazelcast.wait.seconds.before.join", "0");
    c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    // Failure detection: a killed member is noticed by its broken connection within a second; a frozen one
    // by missing heartbeats (docs/operations.md explains the trade-off).
    c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    c.setProperty("hazelcast.max.no.heartbeat.seconds",
        String.valueOf((cfg.health().memberTimeoutMs() + 999) / 1000));
    c.setProperty("hazelcast.connection.monitor.interval", "20");
    c.setProperty("hazelcast.connection.monitor.max.faults", "1");

    // The structures Vert.x keeps in Hazelcast (from its default-cluster.xml, minus the multicast).
    c.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    c.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    c.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    // The task map (ADR 12): one synchronous backup; its values are only read whole at a take-over, so no
    // record keeps a deserialized copy (a million queued tasks, 8 bytes each). Merges keep Hazelcast's default,
    // put-if-absent (ADR 19): nodes restarted together can form two clusters that merge moments later, and the
    // tasks the smaller one recovered from its mirrors must survive the merge.
    c.addMapConfig(new MapConfig(akita.node.tasks.SchedulerVerticle.TASK_MAP).setBackupCount(1)
        .setCacheDeserializedValues(com.hazelcast.config.CacheDeserializedValues.NEVER));
    return c;
  }

  private static void network(NetworkConfig net, NodeConfig.Cluster cluster) {
    String bindIp = resolve(cluster.bindHost());
    net.setPort(cluster.hzPort()).setPortAutoIncrement(false);
    net.getInterfaces().setEnabled(true).addInterface(bindIp);
    net.setPublicAddress(bindIp + ":" + cluster.hzPort());
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAwsConfig().setEnabled(false);
    join.getGcpConfig().setEnabled(false);
    join.getAzureConfig().setEnabled(false);
    join.getKubernetesConfig().setEnabled(false);
    join.getEurekaConfig().setEnabled(false);
    Set<String> members = new LinkedHashSet<>();
    members.add(bindIp + ":" + cluster.hzPort());
    for (HostPort m : cluster.members()) {
      members.add(m.toString());
    }
    join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(java.util.List.copyOf(members));
  }

  private static String resolve(String host) {
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException("--bind-host " + host + " does not resolve to an address of this machine");
    }
  }
}
