package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.cluster.NodeHealth;
import akita.node.cluster.NodeInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Placement: the hard filter, the score and the explanation stored on the task. */
class PlacementTest {

  private static final long NOW = 1_900_000_000_000L;

  private final Placement placement = new Placement(Placement.Weights.DEFAULT);

  /** A builder of workers with sensible defaults: healthy, 4 slots, runs echo and shell, idle. */
  private static final class W {
    String id;
    String name;
    List<String> caps = List.of();
    List<String> types = List.of("echo", "shell");
    int slots = 4;
    int running;
    boolean draining;
    double cpu;

    W(String id) {
      this.id = id;
      this.name = id + "-name";
    }

    W caps(String... c) {
      caps = List.of(c);
      return this;
    }

    W types(String... t) {
      types = List.of(t);
      return this;
    }

    W slots(int s) {
      slots = s;
      return this;
    }

    W running(int r) {
      running = r;
      return this;
    }

    W draining() {
      draining = true;
      return this;
    }

    W cpu(double c) {
      cpu = c;
      return this;
    }

    Placement.Worker build() {
      Placement.Worker w = new Placement.Worker(id);
      w.info = new NodeInfo(id, name, "0.1.0", "test", "uuid-" + id, List.of("worker"), caps, types, slots,
          running, draining, new JsonObject().put("cpu", new JsonObject().put("total", cpu)), "http://127.0.0.1:1", NOW - 60_000, 1,
          new JsonArray(), slots);
      w.inflight = running;
      return w;
    }
  }

  private static Task task(JsonObject spec) {
    return new Task("t", TaskSpec.fromJson(spec, TaskSpec.Limits.DEFAULT, "me"), NOW, 1, 1);
  }

  private static Task echo() {
    return task(new JsonObject().put("type", "echo"));
  }

  private List<String> ranked(Task t, Placement.Worker... workers) {
    List<String> ids = new ArrayList<>();
    for (Placement.Candidate c : placement.rank(t, List.of(workers), NOW)) {
      ids.add(c.worker().id);
    }
    return ids;
  }

  @Test
  void hardFiltersExclude() {
    Placement.Worker ok = new W("ok").caps("gpu").build();
    Placement.Worker noType = new W("no-type").caps("gpu").types("shell").build();
    Placement.Worker noCap = new W("no-cap").caps("docker").build();
    Placement.Worker draining = new W("draining").caps("gpu").draining().build();
    Placement.Worker quarantined = new W("quarantined").caps("gpu").build();
    quarantined.quarantinedUntil = NOW + 1;
    Placement.Worker full = new W("full").caps("gpu").slots(2).build();
    full.inflight = 2;
    Placement.Worker noSlots = new W("no-slots").caps("gpu").slots(0).build();
    Placement.Worker suspect = new W("suspect").caps("gpu").build();
    suspect.health = NodeHealth.SUSPECT;
    Placement.Worker offline = new W("offline").caps("gpu").build();
    offline.health = NodeHealth.OFFLINE;
    Placement.Worker unknown = new Placement.Worker("unknown"); // never announced: no info

    Task t = task(new JsonObject().put("type", "echo").put("requiredCapabilities", new JsonArray().add("gpu")));
    assertEquals(List.of("ok"), ranked(t, noType, noCap, draining, quarantined, full, noSlots, suspect, offline,
        unknown, ok));
    assertEquals(List.of(), ranked(t, noType, noCap, draining, quarantined, full, noSlots, suspect, offline,
        unknown));
  }

  @Test
  void quarantineEnds() {
    Placement.Worker w = new W("w").build();
    w.quarantinedUntil = NOW;
    assertEquals(List.of("w"), ranked(echo(), w), "quarantined until now: free again");
  }

  @Test
  void everyRequiredCapabilityIsNeeded() {
    Placement.Worker both = new W("both").caps("gpu", "cuda", "extra").build();
    Placement.Worker one = new W("one").caps("gpu").build();
    Task t = task(new JsonObject().put("type", "echo").put("requiredCapabilities",
        new JsonArray().add("gpu").add("cuda")));
    assertEquals(List.of("both"), ranked(t, one, both));
  }

  @Test
  void lowerLoadWins() {
    Placement.Worker busy = new W("busy").running(3).build();
    Placement.Worker idle = new W("idle").build();
    Placement.Worker half = new W("half").running(2).build();
    assertEquals(List.of("idle", "half", "busy"), ranked(echo(), busy, half, idle));
    Task t = echo();
    assertTrue(placement.score(idle, t) < placement.score(half, t));
  }

  @Test
  void rttCpuAndReliabilityCount() {
    Placement.Worker far = new W("far").build();
    far.rttMs = 50;
    Placement.Worker near = new W("near").build();
    near.rttMs = 1;
    assertEquals(List.of("near", "far"), ranked(echo(), far, near));

    Placement.Worker hot = new W("hot").cpu(0.9).build();
    Placement.Worker cool = new W("cool").cpu(0.1).build();
    assertEquals(List.of("cool", "hot"), ranked(echo(), hot, cool));

    Placement.Worker flaky = new W("flaky").build();
    flaky.successRatio = 0.5;
    Placement.Worker solid = new W("solid").build();
    assertEquals(List.of("solid", "flaky"), ranked(echo(), flaky, solid));
  }

  /** Verifies a node with memory nearly full scores as busy, and memory below 90 % in use changes nothing. */
  @Test
  void memoryPressureCounts() {
    JsonObject nearlyFull = memory(100, 2);   // 98 % in use
    JsonObject comfortable = memory(100, 40); // 60 % in use
    assertEquals(0.8, Placement.pressure(nearlyFull), 1e-9);
    assertEquals(0.0, Placement.pressure(comfortable), 1e-9);
    assertEquals(0.3, Placement.pressure(comfortable.copy().put("cpu", new JsonObject().put("total", 0.3))), 1e-9,
        "the larger of CPU and memory pressure");
    assertEquals(0.0, Placement.pressure(new JsonObject()), "a node that reported nothing");
    assertEquals(0.0, Placement.pressure(new JsonObject().put("cpu", "busy")), "a malformed report is ignored");

    Placement.Worker full = new W("full").build();
    full.info = withResources(full.info, nearlyFull);
    Placement.Worker roomy = new W("roomy").build();
    roomy.info = withResources(roomy.info, comfortable);
    assertEquals(List.of("roomy", "full"), ranked(echo(), full, roomy));
  }

  private static JsonObject memory(long total, long available) {
    return new JsonObject().put("memory", new JsonObject().put("totalBytes", total).put("availableBytes", available)
        .put("usedBytes", total - available));
  }

  private static NodeInfo withResources(NodeInfo i, JsonObject resources) {
    return new NodeInfo(i.id(), i.name(), i.version(), i.cluster(), i.memberUuid(), i.roles(), i.capabilities(),
        i.taskTypes(), i.slotsTotal(), i.running(), i.draining(), resources, i.api(), i.startedAt(), i.seq(),
        i.plugins(), i.accepts());
  }

  @Test
  void tiesGoToTheNodeWithFewerTasksInFlightThenById() {
    Placement.Worker b = new W("b").build();
    Placement.Worker a = new W("a").build();
    assertEquals(List.of("a", "b"), ranked(echo(), b, a), "equal scores: by id, stable");
  }

  @Test
  void aNodeTheTaskFailedOnIsAvoided() {
    Placement.Worker failedThere = new W("failed-there").build();
    Placement.Worker busier = new W("busier").running(2).build();
    Task t = echo();
    t.assign("failed-there", "failed-there-name", new JsonObject(), 1, NOW);
    t.endAttempt("FAILED", new JsonObject().put("code", "EXECUTION_FAILED"), NOW);
    assertTrue(t.failedOn().contains("failed-there"));
    assertEquals(List.of("busier", "failed-there"), ranked(t, failedThere, busier));
    // When it is the only node, the task still runs there.
    assertEquals(List.of("failed-there"), ranked(t, failedThere));
  }

  @Test
  void affinityPrefers() {
    Placement.Worker plain = new W("plain").build();
    Placement.Worker byName = new W("by-name").running(1).build();
    Placement.Worker byId = new W("by-id").running(1).build();
    Placement.Worker byCap = new W("by-cap").caps("ssd").running(1).build();
    assertEquals(List.of("plain", "by-id", "by-name"), ranked(echo(), plain, byName, byId),
        "without affinity, the idle node wins");
    assertEquals("by-name", ranked(task(new JsonObject().put("type", "echo").put("affinity",
        new JsonArray().add("by-name-name"))), plain, byName).get(0), "by node name");
    assertEquals("by-id", ranked(task(new JsonObject().put("type", "echo").put("affinity",
        new JsonArray().add("by-id"))), plain, byId).get(0), "by node id");
    assertEquals("by-cap", ranked(task(new JsonObject().put("type", "echo").put("affinity",
        new JsonArray().add("ssd"))), plain, byCap).get(0), "by capability");
  }

  @Test
  void antiAffinityAvoids() {
    Placement.Worker avoided = new W("avoided").caps("noisy").build();
    Placement.Worker busier = new W("busier").running(1).build();
    assertEquals(List.of("avoided", "busier"), ranked(echo(), avoided, busier));
    assertEquals(List.of("busier", "avoided"), ranked(task(new JsonObject().put("type", "echo").put("antiAffinity",
        new JsonArray().add("noisy"))), avoided, busier), "by capability");
    assertEquals(List.of("busier", "avoided"), ranked(task(new JsonObject().put("type", "echo").put("antiAffinity",
        new JsonArray().add("avoided"))), avoided, busier), "by id");
    // Anti-affinity is a preference, not a filter.
    assertEquals(List.of("avoided"), ranked(task(new JsonObject().put("type", "echo").put("antiAffinity",
        new JsonArray().add("avoided"))), avoided));
  }

  @Test
  void explainNamesTheChosenAndTheRunnersUp() {
    Placement.Worker a = new W("a").build();
    Placement.Worker b = new W("b").running(1).build();
    Placement.Worker c = new W("c").running(2).build();
    Placement.Worker d = new W("d").running(3).build();
    List<Placement.Candidate> ranked = placement.rank(echo(), List.of(d, c, b, a), NOW);
    JsonObject why = Placement.explain(ranked);
    assertEquals(4, why.getInteger("candidates"));
    JsonObject chosen = why.getJsonObject("chosen");
    assertEquals("a", chosen.getString("nodeId"));
    assertEquals("a-name", chosen.getString("name"));
    assertEquals(0.0, chosen.getDouble("score"), 1e-9);
    JsonArray runnersUp = why.getJsonArray("runnersUp");
    assertEquals(2, runnersUp.size(), "at most two runners-up");
    assertEquals("b", runnersUp.getJsonObject(0).getString("nodeId"));
    assertEquals("b-name", runnersUp.getJsonObject(0).getString("name"));
    assertEquals(0.5, runnersUp.getJsonObject(0).getDouble("score"), 1e-9);
    assertEquals("c", runnersUp.getJsonObject(1).getString("nodeId"));
    assertEquals(1.0, runnersUp.getJsonObject(1).getDouble("score"), 1e-9);

    JsonObject alone = Placement.explain(placement.rank(echo(), List.of(a), NOW));
    assertEquals("a", alone.getJsonObject("chosen").getString("nodeId"));
    assertEquals(0, alone.getJsonArray("runnersUp").size());
    assertEquals(1, alone.getInteger("candidates"));
  }
}
