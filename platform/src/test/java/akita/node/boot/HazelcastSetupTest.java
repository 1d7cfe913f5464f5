package akita.node.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import akita.node.config.ConfigLoader;
import akita.node.config.ConfigOption;
import akita.node.tasks.SchedulerVerticle;
import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Hazelcast configuration a node builds in code: what it must never do, and how it keeps tasks. */
class HazelcastSetupTest {

  private static Config config() {
    Map<ConfigOption, String> f = ConfigLoader.newFlagMap();
    f.put(ConfigOption.CLUSTER_NAME, "setup-test");
    f.put(ConfigOption.MEMBERS, "127.0.0.1:5901,127.0.0.1:5902");
    return HazelcastSetup.build(ConfigLoader.load(f, Map.of(), Path.of("plugins")), "id-1", "node-1");
  }

  /** Verifies the node never reaches out on its own: no phone-home, no multicast, no cloud auto-detection. */
  @Test
  void neverReachesOutOnItsOwn() {
    Config c = config();
    assertEquals("false", c.getProperty("hazelcast.phone.home.enabled"));
    assertFalse(c.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    assertFalse(c.getNetworkConfig().getJoin().getAutoDetectionConfig().isEnabled());
    // Only the members named (and itself), all on loopback here.
    assertEquals(java.util.List.of("127.0.0.1:5701", "127.0.0.1:5901", "127.0.0.1:5902"),
        c.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
  }

  /**
   * Verifies the task map keeps one synchronous backup, and keeps what a merged-in side brings that the other
   * side lacks (put-if-absent): after a whole-cluster restart, nodes that formed two clusters merge, and the
   * tasks the smaller one recovered must survive (ADR 19; discarding them lost thousands in the chaos test).
   */
  @Test
  void theTaskMapKeepsABackupAndWhatAMergeBrings() {
    MapConfig m = config().getMapConfig(SchedulerVerticle.TASK_MAP);
    assertEquals(1, m.getBackupCount());
    assertEquals(0, m.getAsyncBackupCount());
    assertEquals(PutIfAbsentMergePolicy.class.getName(), m.getMergePolicyConfig().getPolicy());
  }
}
