package akita.node.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Logback appender that keeps the node's most recent log events in memory, for {@code GET /api/v1/logs}
 * and the CLI's {@code logs}. Bounded: the oldest event is dropped when it is full.
 */
public final class LogBuffer extends AppenderBase<ILoggingEvent> {

  /** How many events are kept. */
  public static final int CAPACITY = 2_000;

  private static final ArrayDeque<JsonObject> EVENTS = new ArrayDeque<>(CAPACITY);

  @Override
  protected void append(ILoggingEvent e) {
    JsonObject entry = new JsonObject()
        .put("time", Instant.ofEpochMilli(e.getTimeStamp()).toString())
        .put("level", e.getLevel().toString())
        .put("logger", e.getLoggerName())
        .put("thread", e.getThreadName())
        .put("message", e.getFormattedMessage());
    Map<String, String> mdc = e.getMDCPropertyMap();
    // A task's lines name the node that ran them (MDC); every other line the node this JVM runs.
    String nodeId = mdc == null ? null : mdc.get(Logging.NODE_ID);
    if (nodeId == null && e.getLoggerContextVO() != null && e.getLoggerContextVO().getPropertyMap() != null) {
      nodeId = e.getLoggerContextVO().getPropertyMap().get(Logging.NODE_ID);
    }
    if (nodeId != null) {
      entry.put("nodeId", nodeId);
    }
    if (mdc != null && !mdc.isEmpty()) {
      entry.put("mdc", new JsonObject(new java.util.HashMap<>(mdc)));
    }
    IThrowableProxy t = e.getThrowableProxy();
    if (t != null) {
      entry.put("error", t.getClassName() + ": " + t.getMessage());
    }
    synchronized (EVENTS) {
      if (EVENTS.size() == CAPACITY) {
        EVENTS.removeFirst();
      }
      EVENTS.addLast(entry);
    }
  }

  /**
   * The most recent events at or above a level, oldest first.
   *
   * @param limit how many at most
   * @param minimum the least severe level to include
   * @return the events as JSON objects ({@code time, level, logger, thread, message}, optional {@code nodeId},
   *     {@code mdc} (e.g. {@code taskId, attempt, traceId}) and {@code error})
   */
  public static JsonArray recent(int limit, Level minimum) {
    List<JsonObject> picked = new ArrayList<>(Math.min(limit, CAPACITY));
    synchronized (EVENTS) {
      var it = EVENTS.descendingIterator();
      while (it.hasNext() && picked.size() < limit) {
        JsonObject e = it.next();
        if (Level.toLevel(e.getString("level")).isGreaterOrEqual(minimum)) {
          picked.add(e);
        }
      }
    }
    JsonArray out = new JsonArray();
    for (int i = picked.size() - 1; i >= 0; i--) {
      out.add(picked.get(i).copy());
    }
    return out;
  }
}
