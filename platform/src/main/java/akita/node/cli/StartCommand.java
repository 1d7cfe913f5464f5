package akita.node.cli;

import akita.node.boot.Node;
import akita.node.config.ConfigException;
import akita.node.config.ConfigLoader;
import akita.node.config.ConfigOption;
import akita.node.config.NodeConfig;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/**
 * {@code start}: runs a node in the foreground until SIGTERM, SIGINT or {@code POST /api/v1/shutdown}, then
 * stops it gracefully and exits 0. Its options are generated from {@link ConfigOption}.
 */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = {"Start a node in the foreground.",
        "Every option is also read from its AKITA_* environment variable and from the config file;",
        "precedence: flag > environment > config file > default."})
final class StartCommand implements java.util.concurrent.Callable<Integer> {

  @Spec
  CommandSpec spec;

  static void addConfigOptions(CommandSpec start) {
    for (ConfigOption o : ConfigOption.values()) {
      if (o.flag() == null) {
        continue;
      }
      String dflt = o.defaultValue() == null ? "" : " Default: " + (o.defaultValue().isEmpty() ? "(none)"
          : o.defaultValue()) + ".";
      start.addOption(OptionSpec.builder(o.flag())
          .paramLabel(o.label())
          .type(String.class)
          .description(o.description() + dflt + " Env: " + o.env() + ".")
          .build());
    }
  }

  @Override
  public Integer call() {
    Map<ConfigOption, String> flags = ConfigLoader.newFlagMap();
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (ConfigOption o : ConfigOption.values()) {
      if (o.flag() != null && parsed.hasMatchedOption(o.flag())) {
        flags.put(o, parsed.matchedOptionValue(o.flag(), (String) null));
      }
    }
    NodeConfig cfg;
    try {
      cfg = ConfigLoader.load(flags, System.getenv(), defaultPluginsDir());
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("akita: " + e.getMessage());
      return AkitaCommand.EXIT_USAGE;
    }
    java.util.concurrent.atomic.AtomicReference<Node> current = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean terminated = new java.util.concurrent.atomic.AtomicBoolean();
    boolean first = true;
    while (true) {
      Node node;
      try {
        node = Node.start(cfg).toCompletionStage().toCompletableFuture().get();
      } catch (Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        spec.commandLine().getErr().println("akita: the node could not start: " + cause.getMessage());
        return AkitaCommand.EXIT_FAILED;
      }
      current.set(node);
      if (first) {
        Signals.onTermination(signal -> {
          terminated.set(true);
          current.get().stop("signal " + signal);
        });
        first = false;
      }
      if (terminated.get()) {
        node.stop("signal received while starting");
      }
      // A stop that hangs (a stuck plugin, an unreachable cluster) must not keep the process forever.
      node.stopRequested().onComplete(v -> watchdog(cfg.shutdownTimeoutMs() + 15_000));
      node.stopped().toCompletionStage().toCompletableFuture().join();
      if (!node.rejoinRequested() || terminated.get()) {
        return 0;
      }
      // Merged back after a network partition (Node#watchForMerge): start again on the same data.
      disarmWatchdog();
    }
  }

  private static volatile Thread watchdog;

  private static void disarmWatchdog() {
    Thread t = watchdog;
    if (t != null) {
      t.interrupt();
    }
  }

  private static void watchdog(long ms) {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("akita: graceful shutdown did not finish within " + ms + " ms; exiting");
      Runtime.getRuntime().halt(AkitaCommand.EXIT_FAILED);
    }, "akita-shutdown-watchdog");
    t.setDaemon(true);
    watchdog = t;
    t.start();
  }

  /**
   * Where the built-in plugins are: {@code plugins/} next to platform.jar when running from it, else
   * {@code ./plugins}.
   */
  static Path defaultPluginsDir() {
    try {
      Path location = Path.of(StartCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(location)) {
        return location.resolveSibling("plugins");
      }
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      // fall through to the working directory
    }
    return Path.of("plugins");
  }
}
