package akita.node.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.NetNamespace;
import akita.node.testing.ProcessCluster;
import akita.node.testing.ProcessCluster.NodeSpec;
import akita.node.testing.TaskAudit;
import akita.node.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Chaos: one of three nodes partitioned away under load (run with {@code -Pchaos}; docs/chaos.md). That node
 * runs in its own network namespace, joined to the host by a cluster link the test cuts and heals and an API
 * link it never cuts; the other two run on the host. By default the isolated node is the leader
 * ({@code -Dakita.chaos.partitionTarget=follower} isolates a follower). The minority must stop leading, the
 * majority elects a leader, and after the link heals the node rejoins, one leader remains and no acknowledged
 * task is lost or completed twice. Needs root for the namespace; skipped, with the reason, otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PartitionChaosIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private final ChaosSettings settings = ChaosSettings.fromSystemProperties();
  private NetNamespace ns;
  private ProcessCluster cluster;

  @BeforeAll
  void setUp() throws Exception {
    String why = NetNamespace.unavailableReason();
    Assumptions.assumeTrue(why == null, () -> "partition scenario skipped: " + why);
    ns = NetNamespace.create();
    Path dir = Path.of("target", "chaos", "partition-" + System.currentTimeMillis()).toAbsolutePath();
    NodeSpec a = new NodeSpec("h0", ns.hostAddress(), TestNodes.freePort(), "127.0.0.1", TestNodes.freePort(),
        dir.resolve("h0"), List.of());
    NodeSpec b = new NodeSpec("h1", ns.hostAddress(), TestNodes.freePort(), "127.0.0.1", TestNodes.freePort(),
        dir.resolve("h1"), List.of());
    // Ports inside the namespace are free there whatever the host uses.
    NodeSpec isolated = new NodeSpec("x2", ns.insideAddress(), 5701, ns.insideApiAddress(), 8080, dir.resolve("x2"),
        ns.execPrefix());
    cluster = new ProcessCluster(TestNodes.uniqueCluster(), List.of(a, b, isolated), "--slots",
        String.valueOf(settings.slots()));
    System.out.println("partition chaos: namespace " + ns.name() + ", nodes under " + dir.toAbsolutePath());
    // The leader is the oldest member: start the one to isolate first when it is to lead, last otherwise.
    boolean leads = "leader".equals(settings.partitionTarget());
    List<Integer> order = leads ? List.of(2, 0, 1) : List.of(0, 1, 2);
    for (int i : order) {
      cluster.start(i);
      cluster.awaitHealthy(i);
    }
    JsonObject view = cluster.awaitSettled(Duration.ofSeconds(120));
    assertEquals(leads, "x2".equals(view.getJsonObject("leader").getString("name")),
        "the node to isolate leads exactly when asked to: " + view.getJsonObject("leader"));
  }

  @AfterAll
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  /** Verifies a node cut off past the member timeout, then healed. */
  @Test
  void nodePartitionedAwayAndHealed() throws Exception {
    ChaosScenario scenario = new ChaosScenario(settings, cluster);
    long since = System.currentTimeMillis();
    ChaosReport.Row row = scenario.run("partition-" + settings.partitionTarget(), (c, marks) -> {
      int isolated = 2;
      String name = c.node(isolated).name();
      boolean led = c.awaitLeader(null, WAIT) == isolated;
      ChaosScenario.awaitRunningOn(c, isolated, Duration.ofSeconds(10));
      long t = marks.fault();
      ns.cut();
      try {
        // The majority goes on with a leader of its own; the isolated node, without quorum, has none.
        int majorityLeader = awaitMajorityLeader(c);
        if (led) {
          marks.leaderSince(t);
        }
        awaitNoLeaderOn(c, isolated);
        System.out.printf("%s cut off; %s leads the majority (%d ms after the cut); %s has no leader%n", name,
            c.node(majorityLeader).name(), System.currentTimeMillis() - t, name);
        long left = t + settings.partitionMs() - System.currentTimeMillis();
        if (left > 0) {
          Thread.sleep(left); // the fault's length
        }
      } finally {
        ns.heal();
      }
      System.out.printf("%s healed after %d ms%n", name, System.currentTimeMillis() - t);
    });
    ChaosScenario.assertClean(row);
    // The cut-off leader's tasks came back with the merge (and their events, recorded again from its ledger's
    // orphans): the majority's leader adopts them at once, so each one the ledger saw submitted ends (it ran,
    // or it was cancelled as a duplicate of its client's retry), not only once a later leader loads the map.
    List<String> open = TaskAudit.awaitSubmittedEnd(cluster.api(0), since, WAIT);
    assertTrue(open.isEmpty(), open.size() + " task(s) recorded as submitted have no end, e.g. "
        + open.subList(0, Math.min(3, open.size())));
  }

  /** Waits until a host node sees one of the host nodes as leader. */
  private static int awaitMajorityLeader(ProcessCluster c) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < 2; i++) {
        try {
          JsonObject leader = c.view(i).getJsonObject("leader");
          last = c.node(i).name() + " sees " + leader;
          if (leader != null && !leader.getString("name").equals("x2")) {
            return c.indexOf(leader.getString("name"));
          }
        } catch (Exception e) {
          last = c.node(i).name() + ": " + e;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the majority elected no leader of its own: " + last);
  }

  /** Waits until the isolated node reports no leader (it has no quorum). */
  private static void awaitNoLeaderOn(ProcessCluster c, int i) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonObject view = null;
    while (System.nanoTime() < deadline) {
      view = c.view(i);
      if (view.getJsonObject("leader") == null) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the isolated node still sees a leader: " + view.encode());
  }
}
