package akita.node.web;

import akita.node.ledger.LedgerAddresses;
import akita.node.ledger.LedgerEntries;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/events}: the cluster's ledger as Server-Sent Events (ADR 16). Every node holds the whole
 * ledger (ADR 13), so any node streams every event in order; each event's {@code id} is its ledger seq, so a
 * client that reconnects with {@code Last-Event-ID} (or {@code ?after=}) gets exactly what it missed, then the
 * live tail. A slow client is cut off with an {@code overflow} event rather than buffered without bound.
 */
final class EventStream {

  /** Entries a stream holds for a slow client before it gives up on it. */
  static final int MAX_BACKLOG = 10_000;
  /** How often an idle stream sends a comment, so proxies and clients know it is alive. */
  static final long PING_MS = 15_000;
  private static final int REPLAY_PAGE = 500;
  private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}\\*?|\\*");

  private static final AtomicInteger OPEN = new AtomicInteger();

  private EventStream() {
  }

  /** @return how many streams are open in this JVM (tests check that closed ones are released) */
  static int open() {
    return OPEN.get();
  }

  /** Validates the query and starts a stream. */
  static void handle(RoutingContext ctx) {
    Filter filter = Filter.of(ctx.request().getParam("types"), ctx.request().getParam("subject"));
    String from = ctx.request().getHeader("Last-Event-ID");
    if (from == null || from.isBlank()) {
      from = ctx.request().getParam("after");
    }
    Long after = null;
    if (from != null && !from.isBlank()) {
      try {
        after = Long.parseLong(from.strip());
      } catch (NumberFormatException e) {
        after = -1L;
      }
      if (after < 0) {
        throw ApiError.INVALID_PARAMETER.with("'after' (or Last-Event-ID) must be a ledger seq (0 or more)");
      }
    }
    new Stream(ctx.vertx(), ctx.response(), filter).start(after);
  }

  /** Which entries a client wants: types (exact or a prefix ending in '*') and a subject. */
  record Filter(List<String> exact, List<String> prefixes, String subject) {

    static Filter of(String types, String subject) {
      List<String> exact = new ArrayList<>();
      List<String> prefixes = new ArrayList<>();
      if (types != null && !types.isBlank()) {
        for (String t : types.split(",")) {
          String s = t.strip();
          if (!TYPE.matcher(s).matches()) {
            throw ApiError.INVALID_PARAMETER.with("'types' must be event types such as TASK_COMPLETED or prefixes "
                + "such as TASK_*, comma-separated; '" + s + "' is not");
          }
          if (s.endsWith("*")) {
            prefixes.add(s.substring(0, s.length() - 1));
          } else {
            exact.add(s);
          }
        }
      }
      if (subject != null && (subject.isBlank() || subject.length() > 200)) {
        throw ApiError.INVALID_PARAMETER.with("'subject' must be a node or task id of 1 to 200 characters");
      }
      return new Filter(List.copyOf(exact), List.copyOf(prefixes), subject);
    }

    boolean matches(JsonObject entry) {
      if (subject != null && !subject.equals(entry.getString("subject"))) {
        return false;
      }
      if (exact.isEmpty() && prefixes.isEmpty()) {
        return true;
      }
      String type = entry.getString("type", "");
      if (exact.contains(type)) {
        return true;
      }
      for (String p : prefixes) {
        if (type.startsWith(p)) {
          return true;
        }
      }
      return false;
    }
  }

  /** One client's stream: replay (if asked), then the live tail, in seq order without gaps or repeats. */
  private static final class Stream {
    private final Vertx vertx;
    private final HttpServerResponse response;
    private final Filter filter;
    private final ArrayDeque<JsonObject> backlog = new ArrayDeque<>();
    private MessageConsumer<JsonObject> consumer;
    private long lastSent;
    private boolean replaying;
    private boolean closed;
    private long pingTimer = -1;

    Stream(Vertx vertx, HttpServerResponse response, Filter filter) {
      this.vertx = vertx;
      this.response = response;
      this.filter = filter;
    }

    void start(Long after) {
      OPEN.incrementAndGet();
      response.setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      response.closeHandler(v -> close());
      response.exceptionHandler(err -> close());
      response.drainHandler(v -> drain());
      // Listen first, so nothing committed during the replay is missed; the seq check drops repeats.
      consumer = vertx.eventBus().localConsumer(LedgerAddresses.COMMITTED, m -> onCommitted(m.body()));
      response.write(": akita events\n\n");
      pingTimer = vertx.setPeriodic(PING_MS, id -> {
        if (!response.writeQueueFull()) {
          response.write(": ping\n\n");
        }
      });
      if (after != null) {
        replaying = true;
        lastSent = after;
        replay();
      } else {
        lastSent = -1; // live only: the first committed entry sets the start
      }
    }

    private void replay() {
      if (closed) {
        return;
      }
      JsonObject q = new JsonObject().put("after", lastSent).put("limit", REPLAY_PAGE);
      if (filter.subject() != null) {
        q.put("subject", filter.subject());
      }
      vertx.eventBus().<JsonObject>request(LedgerAddresses.QUERY, q).onComplete(ar -> {
        if (closed) {
          return;
        }
        if (ar.failed()) {
          response.write("event: error\ndata: " + new JsonObject().put("code", "LEDGER_UNAVAILABLE")
              .put("message", ar.cause().getMessage()).encode() + "\n\n");
          close();
          response.end();
          return;
        }
        JsonArray page = ar.result().body().getJsonArray("entries");
        long before = lastSent;
        for (Object o : page) {
          JsonObject e = (JsonObject) o;
          lastSent = Math.max(lastSent, e.getLong("seq"));
          if (filter.matches(e)) {
            send(e);
          }
        }
        if (page.size() == REPLAY_PAGE && lastSent > before) {
          if (response.writeQueueFull()) {
            response.drainHandler(v -> {
              response.drainHandler(x -> drain());
              replay();
            });
          } else {
            replay();
          }
          return;
        }
        replaying = false;
        drain();
      });
    }

    private void onCommitted(JsonObject body) {
      JsonArray entries = body.getJsonArray("entries");
      if (entries == null || closed) {
        return;
      }
      for (Object o : entries) {
        JsonObject e = (JsonObject) o;
        if (filter.matches(e)) {
          backlog.add(LedgerEntries.publicForm(e));
        } else if (!replaying && lastSent >= 0 && backlog.isEmpty()) {
          // Skipped by the filter: the stream has passed it. Only while nothing earlier waits to be sent, or
          // that entry would look like a repeat and be dropped.
          lastSent = Math.max(lastSent, e.getLong("seq"));
        }
      }
      if (backlog.size() > MAX_BACKLOG) {
        // Too slow for the cluster's pace: say where to resume, and let the client reconnect from there.
        response.write("event: overflow\ndata: " + new JsonObject().put("resumeAfter", lastSent).encode()
            + "\n\n");
        close();
        response.end();
        return;
      }
      if (!replaying) {
        drain();
      }
    }

    /** Writes the held entries in order while the connection keeps up. */
    private void drain() {
      while (!closed && !replaying && !backlog.isEmpty() && !response.writeQueueFull()) {
        JsonObject e = backlog.poll();
        long seq = e.getLong("seq");
        if (seq > lastSent) {
          lastSent = seq;
          send(e);
        }
      }
    }

    private void send(JsonObject e) {
      response.write("id: " + e.getLong("seq") + "\nevent: " + e.getString("type") + "\ndata: " + e.encode()
          + "\n\n");
    }

    private void close() {
      if (closed) {
        return;
      }
      closed = true;
      OPEN.decrementAndGet();
      vertx.cancelTimer(pingTimer);
      if (consumer != null) {
        consumer.unregister();
      }
      backlog.clear();
    }
  }
}
