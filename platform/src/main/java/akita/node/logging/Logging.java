package akita.node.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import akita.node.config.NodeConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.LoggerFactory;

/** Applies the node's logging settings to Logback once the configuration is known. */
public final class Logging {

  /** MDC key: the node a log line comes from (task lines; other lines carry it as a context property). */
  public static final String NODE_ID = "nodeId";
  /** MDC key: the task a log line is about. */
  public static final String TASK_ID = "taskId";
  /** MDC key: the attempt of that task. */
  public static final String ATTEMPT = "attempt";
  /** MDC key: the task's trace id, W3C trace-context shaped (32 lowercase hex), the same on every node. */
  public static final String TRACE_ID = "traceId";

  private Logging() {
  }

  /**
   * The trace id of a task: its id without the dashes (a UUID's 32 hex digits, the length and alphabet of a W3C
   * trace id), so every node's lines about one task share it without passing anything new around.
   *
   * @param taskId a task id
   * @return its trace id
   */
  public static String traceId(String taskId) {
    String hex = taskId.replace("-", "").toLowerCase(Locale.ROOT);
    if (hex.matches("[0-9a-f]{32}")) {
      return hex;
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(taskId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The MDC entries for log lines about one attempt of a task.
   *
   * @param nodeId the node running it, or {@code null}
   * @param taskId the task
   * @param attempt the attempt number
   * @return {@code nodeId} (when given), {@code taskId}, {@code attempt}, {@code traceId}
   */
  public static Map<String, String> taskContext(String nodeId, String taskId, int attempt) {
    Map<String, String> mdc = new LinkedHashMap<>();
    if (nodeId != null) {
      mdc.put(NODE_ID, nodeId);
    }
    mdc.put(TASK_ID, taskId);
    mdc.put(ATTEMPT, String.valueOf(attempt));
    mdc.put(TRACE_ID, traceId(taskId));
    return Collections.unmodifiableMap(mdc);
  }

  /**
   * Sets the root level and, for {@code json}, switches the console to one JSON object per line. Every
   * event then carries the node's id and name (context properties {@code nodeId}, {@code nodeName}).
   *
   * @param cfg the logging settings
   * @param nodeId this node's id
   * @param nodeName this node's name
   */
  public static void apply(NodeConfig.Log cfg, String nodeId, String nodeName) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return; // another SLF4J backend (an embedding application's); leave it alone
    }
    ctx.putProperty("nodeId", nodeId);
    ctx.putProperty("nodeName", nodeName);
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(cfg.level(), Level.INFO));
    if (cfg.json() && root.getAppender("CONSOLE") instanceof ConsoleAppender<ILoggingEvent> console) {
      JsonEncoder encoder = new JsonEncoder();
      encoder.setContext(ctx);
      encoder.setWithFormattedMessage(true);
      encoder.setWithMessage(false);
      encoder.setWithArguments(false);
      encoder.setWithSequenceNumber(false);
      encoder.setWithNanoseconds(false);
      encoder.start();
      console.stop();
      console.setEncoder(encoder);
      console.start();
    }
  }
}
