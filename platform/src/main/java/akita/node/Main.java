package akita.node;

import akita.node.cli.AkitaCommand;

/** {@code java -jar platform.jar [command] [options]}; with no command it starts a node. */
public final class Main {

  private Main() {
  }

  /**
   * Entry point.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    // Before anything touches the common pool: on 2 CPUs it would get one thread, and Hazelcast's future
    // callbacks then crawl (ARCHITECTURE.md §7).
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
          String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
    }
    System.setProperty("hazelcast.phone.home.enabled", "false");
    System.setProperty("hazelcast.logging.type", "slf4j");
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.exit(AkitaCommand.run(args));
  }
}
