package akita.node.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads back what a cluster did with a set of acknowledged tasks, over REST: waits (bounded) until they are
 * terminal, counts how often each completed according to the store (its attempt history) and according to
 * every node's ledger, and checks every node's ledger chain.
 */
public final class TaskAudit {

  /** The terminal task states. */
  public static final Set<String> TERMINAL = Set.of("COMPLETED", "FAILED", "CANCELLED");
  /** The ledger event that records a task's completion. */
  public static final String TASK_COMPLETED = "TASK_COMPLETED";
  /** The ledger events that record a task's end, one of which each finished task must have exactly once. */
  public static final List<String> TASK_ENDS = List.of(TASK_COMPLETED, "TASK_FAILED", "TASK_CANCELLED");

  private static final int PAGE = 1000;

  private TaskAudit() {
  }

  /**
   * What the store says about a set of tasks.
   *
   * @param tasks the last answer for each task found, by id
   * @param submitsByKey the ids of every task stored under each idempotency key the set used, from the pages
   *     read (a key with two ids is a duplicate submit), leaving out copies cancelled as {@code DUPLICATE}
   *     before they ran
   * @param termOf the leadership term each task of those keys was created in
   */
  public record Store(Map<String, JsonObject> tasks, Map<String, Set<String>> submitsByKey, Map<String, Long> termOf) {

    /** @return the tasks in that state */
    public long count(String state) {
      return tasks.values().stream().filter(t -> state.equals(t.getString("state"))).count();
    }

    /** @return the ids not found, or not terminal */
    public List<String> lost(Collection<String> ids) {
      return ids.stream().filter(id -> !tasks.containsKey(id) || !TERMINAL.contains(tasks.get(id).getString("state")))
          .toList();
    }

    /** @return the ids of tasks whose attempt history holds more than one COMPLETED attempt */
    public List<String> completedMoreThanOnce() {
      return tasks.entrySet().stream().filter(e -> completions(e.getValue()) > 1).map(Map.Entry::getKey).toList();
    }

    /**
     * @return ids whose state and history disagree: COMPLETED without a COMPLETED attempt, or FAILED or
     *     CANCELLED with one
     */
    public List<String> inconsistent() {
      return tasks.entrySet().stream().filter(e -> {
        long c = completions(e.getValue());
        return "COMPLETED".equals(e.getValue().getString("state")) ? c == 0
            : TERMINAL.contains(e.getValue().getString("state")) && c > 0;
      }).map(Map.Entry::getKey).toList();
    }

    /** @return the idempotency keys under which more than one task was stored */
    public List<String> duplicateSubmits() {
      return submitsByKey.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Map.Entry::getKey).toList();
    }

    /**
     * @param afterMs a time (epoch ms)
     * @return ms from that time to the first completion of a task submitted after it, or -1 if none
     */
    public long firstCompletionAfter(long afterMs) {
      return tasks.values().stream().filter(t -> "COMPLETED".equals(t.getString("state"))
              && millis(t.getString("submittedAt")) >= afterMs && t.getString("finishedAt") != null)
          .mapToLong(t -> millis(t.getString("finishedAt")) - afterMs).min().orElse(-1);
    }
  }

  /** @return how many of the task's attempts completed */
  public static long completions(JsonObject task) {
    JsonArray history = task.getJsonArray("attemptHistory", new JsonArray());
    return history.stream().filter(a -> "COMPLETED".equals(((JsonObject) a).getString("outcome"))).count();
  }

  private static long millis(String iso) {
    return iso == null ? Long.MIN_VALUE : Instant.parse(iso).toEpochMilli();
  }

  /** The states a task passes through before it ends. */
  private static final List<String> OPEN_STATES = List.of("PENDING", "ASSIGNED", "RUNNING", "RETRYING");

  /**
   * Waits until none of the tasks is open any more, or the time is up, or no further task ended for
   * {@code stall}; then reads them all. While waiting it asks only for the open tasks ({@code GET /tasks?state=}
   * for each open state), which stay few on a healthy cluster, so the polling does not load the leader; the
   * final read goes over the task pages newest first down to the first task submitted before {@code sinceMs},
   * and asks for the few tasks still missing or open one by one (the pages come from the leader's SQLite
   * mirror, which may trail the task map by a batch).
   *
   * @param apis nodes to ask (the first that answers)
   * @param ids the acknowledged task ids
   * @param keys the idempotency keys used
   * @param sinceMs a time before the first of these tasks was submitted (epoch ms)
   * @param timeout how long to wait at most
   * @param stall how long to go on waiting while no task ends
   * @return what the store holds for them
   */
  public static Store awaitTerminal(List<String> apis, Collection<String> ids, Collection<String> keys,
      long sinceMs, Duration timeout, Duration stall) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Set<String> wanted = new HashSet<>(ids);
    Set<String> wantedKeys = new HashSet<>(keys);
    int lastOpen = Integer.MAX_VALUE;
    long progressAt = System.nanoTime();
    while (true) {
      Set<String> open = new HashSet<>();
      for (String state : OPEN_STATES) {
        readPages(apis, "state=" + state + "&", sinceMs, t -> {
          if (wanted.contains(t.getString("id"))) {
            open.add(t.getString("id"));
          }
        });
      }
      long now = System.nanoTime();
      if (open.size() < lastOpen) {
        lastOpen = open.size();
        progressAt = now;
      }
      boolean done = open.isEmpty() || now > deadline || now - progressAt > stall.toNanos();
      if (!done) {
        Thread.sleep(2_000);
        continue;
      }
      Store store = readAll(apis, wanted, wantedKeys, sinceMs);
      int stillOpen = store.lost(wanted).size();
      if (stillOpen == 0 || now > deadline || now - progressAt > stall.toNanos() || stillOpen > OPEN_LIMIT) {
        return store;
      }
      // A few are open on the leader although the mirror's open lists do not have them, or are missing.
      if (stillOpen < lastOpen) {
        lastOpen = stillOpen;
        progressAt = System.nanoTime();
      }
      Thread.sleep(2_000);
    }
  }

  /** More tasks than this still open or missing after the final read are not asked for one by one. */
  private static final int OPEN_LIMIT = 200;

  /**
   * @return whether the task is the cut-off side's copy of a request that the leader cancelled as a duplicate
   *     when a partition healed, before it ran: the designed resolution, not a second submit
   */
  private static boolean resolvedDuplicate(JsonObject t) {
    JsonObject error = t.getJsonObject("error");
    return "CANCELLED".equals(t.getString("state")) && error != null && "DUPLICATE".equals(error.getString("code"))
        && t.getInteger("attempts", 0) == 0;
  }

  private static Store readAll(List<String> apis, Set<String> wanted, Set<String> wantedKeys, long sinceMs)
      throws Exception {
    Map<String, JsonObject> found = new HashMap<>();
    Map<String, Set<String>> byKey = new HashMap<>();
    Map<String, Long> termOf = new HashMap<>();
    readPages(apis, "", sinceMs, t -> {
      if (wanted.contains(t.getString("id"))) {
        found.put(t.getString("id"), t);
      }
      String key = t.getString("idempotencyKey");
      if (key != null && wantedKeys.contains(key) && !resolvedDuplicate(t)) {
        byKey.computeIfAbsent(key, k -> new HashSet<>()).add(t.getString("id"));
        termOf.put(t.getString("id"), t.getLong("term", 0L));
      }
    });
    List<String> open = wanted.stream().filter(id -> !found.containsKey(id)
        || !TERMINAL.contains(found.get(id).getString("state"))).toList();
    if (open.size() <= OPEN_LIMIT) {
      for (String id : open) {
        JsonObject t = getTask(apis, id);
        if (t != null) {
          found.put(id, t);
        }
      }
    }
    return new Store(found, byKey, termOf);
  }

  private static JsonObject getTask(List<String> apis, String id) {
    for (String api : apis) {
      try {
        Http.Answer a = Http.get(api + "/api/v1/tasks/" + id);
        if (a.status() == 200) {
          return a.json();
        }
        if (a.status() == 404) {
          return null;
        }
      } catch (Exception e) {
        // try the next node
      }
    }
    return null;
  }

  /** Reads the task pages ({@code GET /api/v1/tasks?QUERY...}) newest first, down to {@code sinceMs}. */
  private static void readPages(List<String> apis, String query, long sinceMs,
      java.util.function.Consumer<JsonObject> each) throws Exception {
    Exception last = null;
    for (String api : apis) {
      try {
        String cursor = null;
        while (true) {
          Http.Answer a = Http.get(api + "/api/v1/tasks?" + query + "limit=" + PAGE
              + (cursor == null ? "" : "&cursor=" + cursor));
          if (a.status() != 200) {
            throw new IllegalStateException(api + " answered " + a.status() + " " + a.body());
          }
          JsonObject page = a.json();
          boolean older = false;
          for (Object o : page.getJsonArray("tasks")) {
            JsonObject t = (JsonObject) o;
            each.accept(t);
            older |= millis(t.getString("submittedAt")) < sinceMs;
          }
          Object next = page.getValue("nextCursor");
          if (next == null || older) {
            return;
          }
          cursor = String.valueOf(next);
        }
      } catch (Exception e) {
        last = e;
      }
    }
    throw new IllegalStateException("no node listed the tasks", last);
  }

  /**
   * One node's ledger entries of the task-ending types since a time.
   *
   * @param hasTaskEvents whether the ledger holds any TASK_* event at all since then
   * @param ends each subject's ending entries, each as {@code TYPE|recording node id|term}
   */
  public record Ledger(boolean hasTaskEvents, Map<String, List<String>> ends) {

    /** @return how many TASK_COMPLETED entries the task has */
    public long completions(String id) {
      return ends.getOrDefault(id, List.of()).stream().filter(e -> e.startsWith(TASK_COMPLETED + "|")).count();
    }

    /** @return the task's ending entries, of any type */
    public List<String> endings(String id) {
      return ends.getOrDefault(id, List.of());
    }
  }

  /**
   * Reads a node's ledger entries of the task-ending types recorded since a time.
   *
   * @param api the node
   * @param sinceMs the time (epoch ms)
   * @return the entries
   */
  public static Ledger ledger(String api, long sinceMs) throws Exception {
    String since = URLEncoder.encode(Instant.ofEpochMilli(sinceMs).toString(), StandardCharsets.UTF_8);
    boolean any = false;
    String cursor = null;
    for (int pages = 0; pages < 50 && !any; pages++) {
      JsonObject page = ledgerPage(api, "since=" + since, cursor);
      any = page.getJsonArray("entries").stream().anyMatch(e -> ((JsonObject) e).getString("type").startsWith("TASK_"));
      if (page.getValue("nextCursor") == null) {
        break;
      }
      cursor = String.valueOf(page.getValue("nextCursor"));
    }
    Map<String, List<String>> ends = new HashMap<>();
    for (String type : TASK_ENDS) {
      cursor = null;
      do {
        JsonObject page = ledgerPage(api, "type=" + type + "&since=" + since, cursor);
        for (Object o : page.getJsonArray("entries")) {
          JsonObject e = (JsonObject) o;
          ends.computeIfAbsent(e.getString("subject"), k -> new ArrayList<>())
              .add(type + "|" + e.getString("nodeId") + "|" + e.getValue("term"));
        }
        cursor = page.getValue("nextCursor") == null ? null : String.valueOf(page.getValue("nextCursor"));
      } while (cursor != null);
    }
    return new Ledger(any, ends);
  }

  /**
   * Waits (bounded) until every task a node's ledger records as submitted since a time also has an end there.
   *
   * @param api the node
   * @param sinceMs the time (epoch ms)
   * @param wait how long to wait at most
   * @return the tasks still without an end when the wait ran out (empty if none)
   */
  public static List<String> awaitSubmittedEnd(String api, long sinceMs, Duration wait) throws Exception {
    String since = URLEncoder.encode(Instant.ofEpochMilli(sinceMs).toString(), StandardCharsets.UTF_8);
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      List<String> open = new ArrayList<>();
      String cursor = null;
      Map<String, List<String>> ends = ledger(api, sinceMs).ends();
      do {
        JsonObject page = ledgerPage(api, "type=TASK_SUBMITTED&since=" + since, cursor);
        for (Object o : page.getJsonArray("entries")) {
          String id = ((JsonObject) o).getString("subject");
          if (!ends.containsKey(id)) {
            open.add(id);
          }
        }
        cursor = page.getValue("nextCursor") == null ? null : String.valueOf(page.getValue("nextCursor"));
      } while (cursor != null);
      if (open.isEmpty() || System.nanoTime() > deadline) {
        return open;
      }
      Thread.sleep(500);
    }
  }

  private static JsonObject ledgerPage(String api, String query, String cursor) throws Exception {
    Http.Answer a = Http.get(api + "/api/v1/ledger?limit=" + PAGE + "&" + query
        + (cursor == null ? "" : "&cursor=" + cursor));
    if (a.status() != 200) {
      throw new IllegalStateException(api + " ledger answered " + a.status() + " " + a.body());
    }
    return a.json();
  }

  /**
   * Verifies a node's ledger chain.
   *
   * @param api the node
   * @return the answer of {@code GET /api/v1/ledger/verify}
   */
  public static JsonObject verify(String api) throws Exception {
    Http.Answer a = Http.get(api + "/api/v1/ledger/verify");
    if (a.status() != 200) {
      throw new IllegalStateException(api + " ledger/verify answered " + a.status() + " " + a.body());
    }
    return a.json();
  }

  /**
   * Submits one task and waits until it completes.
   *
   * @param apis nodes to submit to and ask (in turn, when one does not answer)
   * @param task the task
   * @param timeout how long to wait
   * @return ms from the submit to seeing it COMPLETED
   * @throws AssertionError if it does not complete in time
   */
  public static long probe(List<String> apis, JsonObject task, Duration timeout) throws Exception {
    long t0 = System.nanoTime();
    long deadline = t0 + timeout.toNanos();
    String id = null;
    List<String> seen = new ArrayList<>();
    for (int i = 0; System.nanoTime() < deadline; i++) {
      String api = apis.get(i % apis.size());
      try {
        if (id == null) {
          Http.Answer a = Http.post(api + "/api/v1/tasks", task.encode(), "Content-Type", "application/json");
          if (a.status() == 200 || a.status() == 202) {
            id = a.json().getString("id");
          } else {
            seen.add(a.status() + " " + a.body());
          }
        } else {
          Http.Answer a = Http.get(api + "/api/v1/tasks/" + id);
          if (a.status() == 200 && "COMPLETED".equals(a.json().getString("state"))) {
            return (System.nanoTime() - t0) / 1_000_000;
          }
          seen.add(a.status() + " " + a.body());
        }
      } catch (Exception e) {
        seen.add(api + ": " + e);
      }
      Thread.sleep(50);
    }
    throw new AssertionError("a fresh task did not complete within " + timeout + "; last answers: "
        + seen.subList(Math.max(0, seen.size() - 3), seen.size()));
  }
}
