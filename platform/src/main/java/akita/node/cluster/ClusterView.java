package akita.node.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One node's view of the cluster: every node it has heard from, with its latest announcement, health and
 * RTT. Health follows two rules: a node that is not a Hazelcast member (nor hosted by one) is OFFLINE; a member
 * is HEALTHY, SUSPECT or OFFLINE by how long it has been silent. Not thread-safe: owned by the discovery verticle.
 */
public final class ClusterView {

  /** A health change, for the log and the ledger. */
  public record Transition(String nodeId, String name, NodeHealth from, NodeHealth to) {
  }

  private static final class Entry {
    NodeInfo info;
    NodeHealth health;
    long lastHeard;
    double rttMs = -1;
    boolean member;
    long offlineSince;
    long quarantinedUntil;
  }

  private final long suspectAfterMs;
  private final long offlineAfterMs;
  private final long retainOfflineMs;
  private final Map<String, Entry> nodes = new LinkedHashMap<>();
  private Set<String> memberIds = new HashSet<>();
  /** Member UUID to the node id behind it. */
  private Map<String, String> memberUuids = new HashMap<>();

  /**
   * @param suspectAfterMs silence after which a member is SUSPECT
   * @param offlineAfterMs silence after which a member is OFFLINE
   * @param retainOfflineMs how long an OFFLINE node that left stays in the view
   */
  public ClusterView(long suspectAfterMs, long offlineAfterMs, long retainOfflineMs) {
    this.suspectAfterMs = suspectAfterMs;
    this.offlineAfterMs = offlineAfterMs;
    this.retainOfflineMs = retainOfflineMs;
  }

  /**
   * Records an announcement.
   *
   * @return the health change it caused, or {@code null}
   */
  public Transition heard(NodeInfo info, long now) {
    Entry e = nodes.computeIfAbsent(info.id(), k -> new Entry());
    if (e.info != null && e.info.memberUuid().equals(info.memberUuid()) && info.seq() < e.info.seq()) {
      return null; // an older announcement overtaken by a newer one
    }
    e.info = info;
    e.lastHeard = now;
    e.member = present(info.id(), info);
    return evaluate(info.id(), e, now);
  }

  /**
   * A node is present while it is a Hazelcast member itself, or while the member it announces as its
   * {@code memberUuid} is: a hosted node (an edge agent behind its gateway, a simulated worker of the scale
   * benchmark) is reached through a member and leaves with it. Either way its heartbeats decide the rest.
   */
  private boolean present(String id, NodeInfo info) {
    return memberIds.contains(id) || info != null && memberUuids.containsKey(info.memberUuid());
  }

  /**
   * Applies the current Hazelcast member list: nodes no longer in it are OFFLINE at once.
   *
   * @return the health changes
   */
  public List<Transition> members(List<Member> members, long now) {
    Set<String> ids = new HashSet<>();
    Map<String, String> uuids = new HashMap<>();
    for (Member m : members) {
      ids.add(m.nodeId());
      uuids.put(m.uuid(), m.nodeId());
    }
    memberIds = ids;
    memberUuids = uuids;
    for (Map.Entry<String, Entry> e : nodes.entrySet()) {
      e.getValue().member = present(e.getKey(), e.getValue().info);
    }
    return tick(now);
  }

  /**
   * Re-evaluates every node's health against the clock and forgets nodes that left long ago.
   *
   * @return the health changes
   */
  public List<Transition> tick(long now) {
    List<Transition> out = new ArrayList<>();
    nodes.entrySet().removeIf(e -> !e.getValue().member && e.getValue().health == NodeHealth.OFFLINE
        && now - e.getValue().offlineSince > retainOfflineMs);
    for (Map.Entry<String, Entry> e : nodes.entrySet()) {
      Transition t = evaluate(e.getKey(), e.getValue(), now);
      if (t != null) {
        out.add(t);
      }
    }
    return out;
  }

  private Transition evaluate(String id, Entry e, long now) {
    long silence = now - e.lastHeard;
    NodeHealth h;
    if (!e.member || silence >= offlineAfterMs) {
      h = NodeHealth.OFFLINE;
    } else if (silence >= suspectAfterMs) {
      h = NodeHealth.SUSPECT;
    } else {
      h = NodeHealth.HEALTHY;
    }
    NodeHealth before = e.health;
    if (h == before) {
      return null;
    }
    e.health = h;
    if (h == NodeHealth.OFFLINE) {
      e.offlineSince = now;
      e.rttMs = -1;
    }
    return new Transition(id, e.info.name(), before, h);
  }

  /** Forgets everything but the given node: after a healed split brain, the view is rebuilt from scratch. */
  public void reset(String keepNodeId) {
    nodes.keySet().removeIf(id -> !id.equals(keepNodeId));
  }

  /**
   * Records that the scheduler quarantined a node (it failed many different tasks).
   *
   * @param nodeId the node
   * @param until end of the quarantine (epoch ms)
   */
  public void quarantine(String nodeId, long until) {
    Entry e = nodes.get(nodeId);
    if (e != null) {
      e.quarantinedUntil = until;
    }
  }

  /** Records a round-trip time to a node, smoothed. */
  public void rtt(String nodeId, double ms) {
    Entry e = nodes.get(nodeId);
    if (e != null && e.health != NodeHealth.OFFLINE) {
      e.rttMs = e.rttMs < 0 ? ms : 0.7 * e.rttMs + 0.3 * ms;
    }
  }

  /** @return the ids of the nodes to ping: members that are not OFFLINE */
  public List<String> reachable() {
    List<String> out = new ArrayList<>();
    nodes.forEach((id, e) -> {
      if (e.health != NodeHealth.OFFLINE) {
        out.add(id);
      }
    });
    return out;
  }

  /**
   * Finds a node by id or, failing that, by name.
   *
   * @return its id, or {@code null}
   */
  public String resolve(String idOrName) {
    if (nodes.containsKey(idOrName)) {
      return idOrName;
    }
    String found = null;
    for (Map.Entry<String, Entry> e : nodes.entrySet()) {
      if (e.getValue().info.name().equals(idOrName)) {
        if (found != null) {
          return null; // ambiguous
        }
        found = e.getKey();
      }
    }
    return found;
  }

  /** @return the node's health, or {@code null} if unknown */
  public NodeHealth health(String nodeId) {
    Entry e = nodes.get(nodeId);
    return e == null ? null : e.health;
  }

  /** @return the node's latest announcement, or {@code null} if unknown */
  public NodeInfo info(String nodeId) {
    Entry e = nodes.get(nodeId);
    return e == null ? null : e.info;
  }

  /** @return the node id of the member a hosted node is reached through, {@code null} for a member itself */
  private String hostOf(String nodeId, NodeInfo info) {
    return memberIds.contains(nodeId) ? null : memberUuids.get(info.memberUuid());
  }

  /** @return one node in the shape of GET /api/v1/nodes/{id}, or {@code null} */
  public JsonObject nodeJson(String nodeId) {
    Entry e = nodes.get(nodeId);
    if (e == null) {
      return null;
    }
    NodeInfo i = e.info;
    return new JsonObject()
        .put("id", i.id()).put("name", i.name()).put("state", e.health.name())
        .put("roles", new JsonArray(i.roles())).put("capabilities", new JsonArray(i.capabilities()))
        .put("taskTypes", new JsonArray(i.taskTypes()))
        .put("slots", new JsonObject().put("total", i.slotsTotal()).put("free", i.slotsFree()))
        .put("running", i.running()).put("load", i.load()).put("draining", i.draining())
        .put("resources", i.resources())
        .put("rttMs", e.rttMs < 0 ? null : Math.round(e.rttMs * 1000) / 1000.0)
        .put("lastHeartbeat", Instant.ofEpochMilli(e.lastHeard).toString())
        .put("quarantinedUntil", e.quarantinedUntil > System.currentTimeMillis()
            ? Instant.ofEpochMilli(e.quarantinedUntil).toString() : null)
        .put("member", e.member).put("hostedBy", hostOf(nodeId, i)).put("version", i.version())
        .put("api", i.api()).put("plugins", i.plugins())
        .put("startedAt", Instant.ofEpochMilli(i.startedAt()).toString());
  }

  /** @return every node, HEALTHY first, then by name */
  public JsonArray nodesJson() {
    return nodesJson(false);
  }

  /**
   * @param raw whether to include each node's last announcement as {@code info}
   * @return every node, HEALTHY first, then by name
   */
  public JsonArray nodesJson(boolean raw) {
    JsonArray out = new JsonArray();
    nodes.entrySet().stream()
        .sorted(Comparator.<Map.Entry<String, Entry>>comparingInt(e -> e.getValue().health.ordinal())
            .thenComparing(e -> e.getValue().info.name()))
        .forEach(e -> {
          JsonObject n = nodeJson(e.getKey());
          if (raw) {
            n.put("info", e.getValue().info.toJson());
          }
          out.add(n);
        });
    return out;
  }
}
