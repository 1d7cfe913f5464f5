package akita.node.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import akita.node.config.NodeConfig;
import org.slf4j.LoggerFactory;

/** Applies the node's logging settings to Logback once the configuration is known. */
public final class Logging {

  private Logging() {
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
