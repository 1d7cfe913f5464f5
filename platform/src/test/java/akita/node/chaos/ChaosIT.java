package akita.node.chaos;

import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.testing.ProcessCluster;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Chaos on three {@code java -jar} nodes on loopback under open-loop REST load (run with {@code -Pchaos};
 * docs/chaos.md): the leader killed with kill -9 several times in a row, a worker killed, a node stopped
 * (SIGSTOP) for longer than the member timeout, and every node killed and restarted at once. After each, no
 * acknowledged task is lost or completed twice, every ledger verifies and the cluster serves again. Node
 * data and logs stay under {@code target/chaos/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private final ChaosSettings settings = ChaosSettings.fromSystemProperties();
  private ProcessCluster cluster;
  private ChaosScenario scenario;

  @BeforeAll
  void startCluster() throws Exception {
    Path dir = Path.of("target", "chaos", "loopback-" + System.currentTimeMillis()).toAbsolutePath();
    cluster = ProcessCluster.loopback(dir, 3, "--slots", String.valueOf(settings.slots()));
    scenario = new ChaosScenario(settings, cluster);
    System.out.println("chaos nodes under " + dir.toAbsolutePath() + "; settings " + settings.toJson().encode());
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Verifies kill -9 of the leader, N times in a row, each time restarting it so it rejoins. */
  @Test
  @Order(1)
  void leaderKilledRepeatedly() throws Exception {
    ChaosScenario.assertClean(scenario.run("leader-kill-x" + settings.leaderKills(), (c, marks) -> {
      for (int k = 1; k <= settings.leaderKills(); k++) {
        int leader = c.awaitLeader(null, WAIT);
        String name = c.node(leader).name();
        long t = marks.fault();
        c.kill(leader);
        int next = c.awaitLeader(name, WAIT);
        marks.leaderSince(t);
        System.out.printf("kill %d: leader %s killed; %s leads after %d ms%n", k, name, c.node(next).name(),
            System.currentTimeMillis() - t);
        c.start(leader);
        c.awaitHealthy(leader);
        c.awaitSettled(Duration.ofSeconds(120));
      }
    }));
  }

  /** Verifies kill -9 of a worker (not the leader) while it runs tasks; it is restarted after a phase. */
  @Test
  @Order(2)
  void workerKilled() throws Exception {
    ChaosScenario.assertClean(scenario.run("worker-kill", (c, marks) -> {
      int victim = (c.awaitLeader(null, WAIT) + 1) % c.size();
      boolean busy = ChaosScenario.awaitRunningOn(c, victim, Duration.ofSeconds(20));
      marks.fault();
      c.kill(victim);
      System.out.printf("worker %s killed (running tasks: %s)%n", c.node(victim).name(), busy);
      Thread.sleep(settings.phaseMs()); // load goes on without it
      c.start(victim);
      c.awaitHealthy(victim);
    }));
  }

  /**
   * Verifies SIGSTOP of a node (a follower unless {@code -Dakita.chaos.freezeTarget=leader}) for longer than
   * the member timeout, then SIGCONT: the others drop it and retry its tasks, it comes back and rejoins, and
   * its late reports change nothing.
   */
  @Test
  @Order(3)
  void nodeFrozenPastMemberTimeout() throws Exception {
    assertTrue(settings.freezeMs() > ChaosSettings.MEMBER_TIMEOUT_MS, "freeze longer than the member timeout");
    ChaosScenario.assertClean(scenario.run("freeze-" + settings.freezeTarget(), (c, marks) -> {
      int leader = c.awaitLeader(null, WAIT);
      int victim = "leader".equals(settings.freezeTarget()) ? leader : (leader + 1) % c.size();
      String name = c.node(victim).name();
      boolean busy = ChaosScenario.awaitRunningOn(c, victim, Duration.ofSeconds(20));
      long t = marks.fault();
      c.process(victim).signal("STOP");
      try {
        if (victim == leader) {
          c.awaitLeader(name, WAIT);
          marks.leaderSince(t);
        }
        long left = t + settings.freezeMs() - System.currentTimeMillis();
        if (left > 0) {
          Thread.sleep(left); // the fault's length: stopped past the member timeout
        }
      } finally {
        c.process(victim).signal("CONT");
      }
      System.out.printf("%s stopped for %d ms (running tasks: %s), continued%n", name,
          System.currentTimeMillis() - t, busy);
    }));
  }

  /** Verifies kill -9 of every node at once, then all started again on their data. */
  @Test
  @Order(4)
  void wholeClusterKilledAndRestarted() throws Exception {
    ChaosScenario.assertClean(scenario.run("restart-all", (c, marks) -> {
      long t = marks.fault();
      for (int i = 0; i < c.size(); i++) {
        c.kill(i);
      }
      c.startAll();
      c.awaitLeader(null, WAIT);
      marks.leaderSince(t);
      System.out.printf("all nodes killed and restarted; a leader after %d ms%n", System.currentTimeMillis() - t);
    }));
  }
}
