package akita.node.cli;

import akita.node.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root of the CLI: {@code akita <command>}. Run with no command, it starts a node. */
@Command(name = "akita", mixinStandardHelpOptions = true, versionProvider = AkitaCommand.VersionProvider.class,
    description = "Akita Genesis: run a node, or talk to a running one.",
    subcommands = {
        StartCommand.class,
        StatusCommand.class,
        ClusterCommand.class,
        PluginCommand.class,
        LedgerCommand.class,
        TaskCommand.class,
        ShutdownCommand.class,
        LogsCommand.class,
        EventsCommand.class,
        CommandLine.HelpCommand.class
    })
public final class AkitaCommand {

  /** Exit code for a command that ran and failed (node unreachable, request refused). */
  public static final int EXIT_FAILED = 1;
  /** Exit code for invalid usage or configuration. */
  public static final int EXIT_USAGE = 2;

  /**
   * Runs the command line and returns the exit code.
   *
   * @param args the arguments; none means {@code start}
   * @return the process exit code
   */
  public static int run(String... args) {
    return commandLine().execute(args.length == 0 ? new String[] {"start"} : args);
  }

  /** @return the CLI, ready to execute */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new AkitaCommand());
    StartCommand.addConfigOptions(cli.getSubcommands().get("start").getCommandSpec());
    cli.addSubcommand("bench", new akita.bench.BenchCommand(new akita.node.bench.PlatformBenchAccess()));
    cli.setExecutionExceptionHandler((ex, line, parse) -> {
      line.getErr().println("akita: " + ex.getMessage());
      return EXIT_FAILED;
    });
    return cli;
  }

  /** Prints the platform version. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"Akita Genesis " + Version.CURRENT};
    }
  }
}
