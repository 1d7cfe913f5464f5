package akita.node.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node (or a CLI command) as a separate {@code java -jar platform.jar} process, as users run it. Output
 * goes to files so a test can read it; every wait is bounded.
 */
public final class NodeProcess implements AutoCloseable {

  /** The jar the build produced; failsafe passes its path. */
  public static final Path JAR = Path.of(System.getProperty("akita.platform.jar", "target/platform.jar"));

  private final Process process;
  private final Path out;
  private final Path err;

  private NodeProcess(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /**
   * Starts {@code java -jar platform.jar args...}.
   *
   * @param workDir the working directory (the node's default data folder is under it)
   * @param env extra environment variables
   * @param args the arguments after the jar
   * @return the running process
   */
  public static NodeProcess start(Path workDir, Map<String, String> env, String... args) throws IOException {
    return start(List.of(), workDir, env, args);
  }

  /**
   * Starts {@code java -jar platform.jar args...} behind a command prefix that execs it, such as
   * {@code ip netns exec NS} (the process id is then the JVM's).
   *
   * @param prefix the words before {@code java}
   * @param workDir the working directory (the node's default data folder is under it)
   * @param env extra environment variables
   * @param args the arguments after the jar
   * @return the running process
   */
  public static NodeProcess start(List<String> prefix, Path workDir, Map<String, String> env, String... args)
      throws IOException {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " is missing: run the integration tests through mvn verify");
    }
    Files.createDirectories(workDir);
    List<String> cmd = new ArrayList<>(prefix);
    // 512 MiB: after the chaos run's whole-cluster restart the new leader recovers some 20,000 tasks, every
    // mirror's copy of them at once; with 256 MiB that ran out of heap (CI runs ci27 and a local run).
    cmd.addAll(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR.toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("AKITA_"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile(workDir, "stdout", ".log");
    Path err = Files.createTempFile(workDir, "stderr", ".log");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    return new NodeProcess(pb.start(), out, err);
  }

  /**
   * Runs a main class of the test sources in its own JVM, with platform.jar and the test classes on its
   * class path (for programs that join the cluster as other services would), to its end.
   *
   * @param workDir the working directory
   * @param mainClass the class to run
   * @param args its arguments
   * @return the finished process
   */
  public static NodeProcess runMain(Path workDir, String mainClass, String... args) throws Exception {
    Files.createDirectories(workDir);
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-XX:+UseSerialGC",
        "-cp", JAR.toAbsolutePath() + java.io.File.pathSeparator + Path.of("target", "test-classes").toAbsolutePath(),
        mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    Path out = Files.createTempFile(workDir, "stdout", ".log");
    Path err = Files.createTempFile(workDir, "stderr", ".log");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    NodeProcess p = new NodeProcess(pb.start(), out, err);
    if (!p.process.waitFor(180, TimeUnit.SECONDS)) {
      p.process.destroyForcibly();
      throw new AssertionError(mainClass + " did not finish in 180 s:\n" + p.stdout() + p.stderr());
    }
    return p;
  }

  /**
   * Runs a CLI command to its end.
   *
   * @return the finished process
   */
  public static NodeProcess run(Path workDir, Map<String, String> env, String... args) throws Exception {
    NodeProcess p = start(workDir, env, args);
    if (!p.process.waitFor(60, TimeUnit.SECONDS)) {
      p.process.destroyForcibly();
      throw new AssertionError("command did not finish in 60 s: " + String.join(" ", args));
    }
    return p;
  }

  /** Waits until {@code GET base/health} answers 200. */
  public void awaitHealthy(String base, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("node exited with " + process.exitValue() + " before it was healthy:\n" + stdout()
            + stderr());
      }
      try {
        if (Http.get(base + "/health").status() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("node not healthy within " + timeout + ":\n" + stdout() + stderr());
  }

  /** Sends SIGTERM and waits for the exit code. */
  public int terminate(Duration timeout) throws Exception {
    process.destroy();
    return awaitExit(timeout);
  }

  /** Waits for the process to end and returns its exit code. */
  public int awaitExit(Duration timeout) throws Exception {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("process did not exit within " + timeout + ":\n" + stdout() + stderr());
    }
    return process.exitValue();
  }

  /** @return the process's exit code; it must have ended */
  public int exitCode() {
    return process.exitValue();
  }

  /**
   * Sends a signal with {@code kill}, such as {@code KILL}, {@code STOP} or {@code CONT}; for {@code KILL},
   * also waits until the process is gone.
   *
   * @param signal the signal's name without {@code SIG}
   */
  public void signal(String signal) throws Exception {
    int rc = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start().waitFor();
    if (rc != 0 && process.isAlive()) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + " exited with " + rc);
    }
    if ("KILL".equals(signal) && !process.waitFor(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("process " + process.pid() + " survived kill -9");
    }
  }

  /** @return whether the process is still running */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** @return the OS process id */
  public long pid() {
    return process.pid();
  }

  /** @return what the process printed on stdout so far */
  public String stdout() throws IOException {
    return Files.readString(out);
  }

  /** @return what the process printed on stderr so far */
  public String stderr() throws IOException {
    return Files.readString(err);
  }

  /** Kills the process if it is still running. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
