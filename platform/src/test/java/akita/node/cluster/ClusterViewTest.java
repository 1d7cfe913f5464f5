package akita.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterViewTest {

  private static NodeInfo info(String id, long seq) {
    return new NodeInfo(id, "name-" + id, "v", "c", "uuid-" + id, List.of("worker"), List.of("gpu"),
        List.of("noop"), 4, 1, false, new JsonObject(), "http://x", 0, seq, new io.vertx.core.json.JsonArray(), 4);
  }

  private static Member member(String id) {
    return new Member("uuid-" + id, id, "name-" + id, true, false);
  }

  /** Verifies silence moves a member HEALTHY → SUSPECT → OFFLINE, and a heartbeat brings it back. */
  @Test
  void healthFollowsHeartbeats() {
    ClusterView v = new ClusterView(1_000, 3_000, 60_000);
    v.members(List.of(member("a")), 0);
    ClusterView.Transition joined = v.heard(info("a", 1), 0);
    assertEquals(new ClusterView.Transition("a", "name-a", null, NodeHealth.HEALTHY), joined);
    assertEquals(List.of(), v.tick(999));
    assertEquals(List.of(new ClusterView.Transition("a", "name-a", NodeHealth.HEALTHY, NodeHealth.SUSPECT)),
        v.tick(1_000));
    assertEquals(List.of(new ClusterView.Transition("a", "name-a", NodeHealth.SUSPECT, NodeHealth.OFFLINE)),
        v.tick(3_000));
    assertEquals(new ClusterView.Transition("a", "name-a", NodeHealth.OFFLINE, NodeHealth.HEALTHY),
        v.heard(info("a", 2), 3_100));
  }

  /** Verifies a node that leaves the membership is OFFLINE at once, and heartbeats do not revive it. */
  @Test
  void leavingTheMembershipIsOfflineAtOnce() {
    ClusterView v = new ClusterView(1_000, 3_000, 60_000);
    v.members(List.of(member("a"), member("b")), 0);
    v.heard(info("a", 1), 0);
    v.heard(info("b", 1), 0);
    List<ClusterView.Transition> t = v.members(List.of(member("a")), 10);
    assertEquals(List.of(new ClusterView.Transition("b", "name-b", NodeHealth.HEALTHY, NodeHealth.OFFLINE)), t);
    assertNull(v.heard(info("b", 2), 20), "a late announcement from a node that left changes nothing");
    assertEquals(NodeHealth.OFFLINE, v.health("b"));
    assertEquals(List.of("a"), v.reachable());
  }

  /** Verifies an older announcement does not overwrite a newer one, and names resolve to ids. */
  @Test
  void staleAnnouncementsAndNames() {
    ClusterView v = new ClusterView(1_000, 3_000, 60_000);
    v.members(List.of(member("a")), 0);
    v.heard(info("a", 5), 0);
    v.heard(info("a", 4), 1);
    assertEquals(5, v.info("a").seq());
    assertEquals("a", v.resolve("name-a"));
    assertEquals("a", v.resolve("a"));
    assertNull(v.resolve("nobody"));
    JsonObject n = v.nodeJson("a");
    assertEquals("HEALTHY", n.getString("state"));
    assertEquals(3, n.getJsonObject("slots").getInteger("free"));
    assertTrue(n.containsKey("rttMs"));
  }

  private static NodeInfo hosted(String id, String hostId, long seq) {
    return new NodeInfo(id, "name-" + id, "v", "c", "uuid-" + hostId, List.of("worker"), List.of(),
        List.of("noop"), 1, 0, false, new JsonObject(), "", 0, seq, new io.vertx.core.json.JsonArray(), 1);
  }

  /**
   * Verifies a hosted node (not a member itself, announcing its host member's UUID) is HEALTHY while its host is
   * a member and it keeps announcing, goes SUSPECT and OFFLINE by its own silence, and is OFFLINE at once when its
   * host leaves; a node announcing an unknown member's UUID is OFFLINE.
   */
  @Test
  void hostedNodesLiveByTheirHeartbeatsAndLeaveWithTheirHost() {
    ClusterView v = new ClusterView(1_000, 3_000, 60_000);
    v.members(List.of(member("a"), member("gw")), 0);
    assertEquals(new ClusterView.Transition("agent-1", "name-agent-1", null, NodeHealth.HEALTHY),
        v.heard(hosted("agent-1", "gw", 1), 0));
    v.heard(hosted("agent-2", "gw", 1), 0);
    assertEquals("gw", v.nodeJson("agent-1").getString("hostedBy"));
    assertNull(v.nodeJson("gw"), "the host never announced itself, so it is not in the view");
    v.heard(hosted("agent-1", "gw", 2), 2_500);
    assertEquals(List.of(new ClusterView.Transition("agent-2", "name-agent-2", NodeHealth.HEALTHY,
        NodeHealth.SUSPECT)), v.tick(1_000));
    assertEquals(List.of(new ClusterView.Transition("agent-2", "name-agent-2", NodeHealth.SUSPECT,
        NodeHealth.OFFLINE)), v.tick(3_000));
    assertEquals(NodeHealth.HEALTHY, v.health("agent-1"));

    List<ClusterView.Transition> left = v.members(List.of(member("a")), 3_100);
    assertEquals(List.of(new ClusterView.Transition("agent-1", "name-agent-1", NodeHealth.HEALTHY,
        NodeHealth.OFFLINE)), left);
    assertNull(v.heard(hosted("agent-1", "gw", 3), 3_200), "its host is gone: announcing changes nothing");
    assertEquals(NodeHealth.OFFLINE, v.heard(hosted("stray", "nobody", 1), 3_300).to());
    v.heard(info("a", 1), 3_400);
    assertNull(v.nodeJson("a").getValue("hostedBy"), "a member is hosted by nobody");
  }

  /** Verifies OFFLINE nodes that left are forgotten after the retention time. */
  @Test
  void offlineNodesAreForgotten() {
    ClusterView v = new ClusterView(1_000, 3_000, 5_000);
    v.members(List.of(member("a")), 0);
    v.heard(info("a", 1), 0);
    v.members(List.of(), 100);
    v.tick(5_000);
    assertEquals(NodeHealth.OFFLINE, v.health("a"));
    v.tick(5_200);
    assertNull(v.health("a"));
  }

  /** Verifies the term fence admits equal and higher terms and refuses lower ones. */
  @Test
  void termFence() {
    TermFence f = new TermFence();
    assertTrue(f.admit(3));
    assertTrue(f.admit(3));
    assertEquals(false, f.admit(2));
    f.observe(7);
    assertEquals(false, f.admit(6));
    assertTrue(f.admit(8));
    assertEquals(8, f.highest());
  }
}
