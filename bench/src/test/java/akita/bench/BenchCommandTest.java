package akita.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code bench} command's options: defaults per workload and the checks that refuse bad values. */
class BenchCommandTest {

  @TempDir
  Path dir;

  /** A host that must not be reached: option checks happen before anything starts. */
  private static final ClusterAccess NO_CLUSTER = new ClusterAccess() {
    @Override
    public Vertx join(String clusterName, List<String> members, int hzPort) {
      throw new AssertionError("joined a cluster");
    }

    @Override
    public WorkerFleet fleet(String clusterName, List<String> members, int hzPort, String taskType, int slots) {
      throw new AssertionError("started a fleet");
    }

    @Override
    public void quietLogging() {
    }
  };

  private BenchSettings settings(String... args) throws Exception {
    Path jar = Files.writeString(dir.resolve("platform.jar"), "not really a jar");
    BenchCommand cmd = new BenchCommand(NO_CLUSTER);
    CommandLine cli = new CommandLine(cmd);
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--jar";
    all[args.length + 1] = jar.toString();
    cli.parseArgs(all);
    return cmd.settings();
  }

  /** Verifies the defaults of each workload. */
  @Test
  void defaultsDependOnTheWorkload() throws Exception {
    BenchSettings w1 = settings();
    assertEquals("w1", w1.workload());
    assertEquals(20_000, w1.tasks());
    assertEquals(3, w1.repetitions());
    assertEquals(Door.EVENTBUS, w1.door());
    assertEquals(List.of("-Xmx1g"), w1.nodeJvmOptions());

    BenchSettings w2 = settings("--workload", "w2", "--rate", "500", "--duration-s", "4");
    assertEquals(2_000, w2.tasks());
    assertEquals(500.0, w2.ratePerSecond());

    BenchSettings w3 = settings("--workload", "w3", "--workers", "2,4");
    assertEquals(1_000_000, w3.tasks());
    assertEquals(1, w3.repetitions());
    assertEquals(List.of(2, 4), w3.workerCounts());
  }

  /** Verifies that bad values are refused with a message naming the option, and exit code 2. */
  @Test
  void badValuesAreRefused() throws Exception {
    for (String[] bad : List.of(new String[] {"--workload", "w9"}, new String[] {"--door", "grpc"},
        new String[] {"--nodes", "0"}, new String[] {"--workers", "10,5"}, new String[] {"--tasks", "0"},
        new String[] {"--rate", "0"})) {
      StringWriter err = new StringWriter();
      Path jar = Files.writeString(dir.resolve("p.jar"), "x");
      CommandLine cli = new CommandLine(new BenchCommand(NO_CLUSTER)).setErr(new PrintWriter(err));
      String[] args = new String[bad.length + 2];
      System.arraycopy(bad, 0, args, 0, bad.length);
      args[bad.length] = "--jar";
      args[bad.length + 1] = jar.toString();
      assertEquals(2, cli.execute(args), String.join(" ", bad));
      assertTrue(err.toString().contains(bad[0]), err.toString());
    }
  }
}
