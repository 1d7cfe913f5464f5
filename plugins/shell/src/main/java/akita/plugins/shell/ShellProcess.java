package akita.plugins.shell;

import akita.api.task.TaskContext;
import akita.api.task.TaskException;
import akita.api.task.TaskProgress;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One run of a {@code shell} task, on a blocking thread: starts the process, feeds its stdin, captures its
 * output on two reader threads, and kills its process tree when it times out or the attempt is cancelled.
 */
final class ShellProcess {

  /** How long to wait for output still in the pipes once the process has ended. */
  private static final long OUTPUT_GRACE_MS = 2_000;
  private static final int STDERR_TAIL_CHARS = 1_000;

  private enum Kind { EXITED, TIMED_OUT, CANCELLED }

  /** Why the wait for the process ended; the first cause to arrive wins. */
  private record Ending(Kind kind, String reason) {
  }

  private final ShellRequest request;
  private final TaskContext context;
  private final Map<String, String> baseEnv;
  private final CompletableFuture<Ending> ending = new CompletableFuture<>();
  private final CompletableFuture<Void> finished = new CompletableFuture<>();
  private boolean interrupted;

  /**
   * @param request the validated payload
   * @param context the attempt
   * @param baseEnv the allowlisted part of the node's environment
   */
  ShellProcess(ShellRequest request, TaskContext context, Map<String, String> baseEnv) {
    this.request = request;
    this.context = context;
    this.baseEnv = baseEnv;
  }

  /**
   * Ends the run as cancelled, killing the process if it has started. Safe from any thread.
   *
   * @param reason why, for the failure message
   */
  void abort(String reason) {
    ending.complete(new Ending(Kind.CANCELLED, reason));
  }

  /** @return completed once {@link #run()} has returned or thrown */
  CompletableFuture<Void> finished() {
    return finished;
  }

  /**
   * Runs the command to its end. Blocks; call it on a worker thread.
   *
   * @return the result JSON
   * @throws TaskException for an invalid working directory, a command that cannot start, a non-zero exit (when
   *     it fails the task), a timeout or a cancellation
   */
  JsonObject run() throws InterruptedException {
    try {
      return runProcess();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      finished.complete(null);
    }
  }

  private JsonObject runProcess() throws InterruptedException {
    Path dir = workingDir();
    long untilDeadline = millisUntil(context.deadline());
    boolean ownTimeout = request.timeoutMs() != null && request.timeoutMs() <= untilDeadline;
    long timeoutMs = ownTimeout ? request.timeoutMs() : untilDeadline;
    if (timeoutMs <= 0) {
      throw new TaskException(TaskException.TIMEOUT, "the attempt's deadline passed before the command started",
          true);
    }
    ProcessBuilder builder = new ProcessBuilder(request.argv()).directory(dir.toFile());
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(baseEnv);
    env.putAll(request.env());

    context.cancellation().onSuccess(this::abort);
    if (ending.isDone()) {
      throw new TaskException(TaskException.CANCELLED, "cancelled (" + ending.join().reason()
          + ") before the command started", false);
    }
    long started = System.nanoTime();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new TaskException(TaskException.EXECUTION_FAILED, "cannot start " + request.argv().get(0) + ": "
          + e.getMessage(), false);
    }
    String name = "shell-" + process.pid();
    OutputCapture stdout = OutputCapture.start(process.getInputStream(), request.maxOutputBytes(), name + "-stdout");
    OutputCapture stderr = OutputCapture.start(process.getErrorStream(), request.maxOutputBytes(), name + "-stderr");
    feedStdin(process.getOutputStream(), name + "-stdin");
    process.onExit().thenRun(() -> ending.complete(new Ending(Kind.EXITED, null)));
    context.logger().debug("started {} as pid {} in {}", request.argv().get(0), process.pid(), dir);
    context.progress(new TaskProgress(-1, "running pid " + process.pid()));

    Ending end = awaitEnding(timeoutMs);
    if (end.kind() != Kind.EXITED) {
      int signalled = ProcessTree.kill(process);
      context.logger().info("pid {} {}: killed it and its descendants ({} process(es))", process.pid(),
          end.kind() == Kind.TIMED_OUT ? "timed out after " + timeoutMs + " ms" : "cancelled: " + end.reason(),
          signalled);
    }
    long outputDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OUTPUT_GRACE_MS);
    OutputCapture.Captured out = stdout.await(outputDeadline);
    OutputCapture.Captured err = stderr.await(outputDeadline);
    long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    if (!out.complete() || !err.complete()) {
      context.logger().warn("pid {} exited but its output is still held open (by a process it left running in "
          + "the background); returning the output read so far", process.pid());
    }

    switch (end.kind()) {
      case TIMED_OUT -> throw new TaskException(TaskException.TIMEOUT, "the command did not finish within "
          + timeoutMs + " ms (" + (ownTimeout ? "timeoutMs" : "the attempt's deadline") + ") and was killed"
          + stderrTail(err.text()), true);
      case CANCELLED -> throw new TaskException(TaskException.CANCELLED, "cancelled (" + end.reason()
          + "); the command was killed", false);
      default -> {
        int exitCode = process.exitValue();
        if (exitCode != 0 && request.failOnNonZeroExit()) {
          throw new TaskException(TaskException.EXECUTION_FAILED, "the command exited with code " + exitCode
              + stderrTail(err.text()), true);
        }
        return new JsonObject()
            .put("exitCode", exitCode)
            .put("stdout", out.text())
            .put("stderr", err.text())
            .put("stdoutTruncated", out.truncated())
            .put("stderrTruncated", err.truncated())
            .put("durationMs", durationMs);
      }
    }
  }

  private Path workingDir() {
    if (request.workingDir() == null) {
      return context.scratchDir();
    }
    Path dir = Path.of(request.workingDir());
    if (!Files.isDirectory(dir)) {
      throw TaskException.invalidPayload("workingDir " + dir + " does not exist or is not a directory on this node");
    }
    return dir;
  }

  private void feedStdin(OutputStream stdin, String threadName) {
    if (request.stdin() == null) {
      try {
        stdin.close();
      } catch (IOException e) {
        // Nothing was written, so there is nothing to lose.
      }
      return;
    }
    byte[] bytes = request.stdin().getBytes(StandardCharsets.UTF_8);
    // Own thread: a command that does not read its input would otherwise block this one on a full pipe.
    Thread t = new Thread(() -> {
      try (stdin) {
        stdin.write(bytes);
      } catch (IOException e) {
        // The command exited or closed its input before reading it all; that is its business.
      }
    }, threadName);
    t.setDaemon(true);
    t.start();
  }

  private Ending awaitEnding(long timeoutMs) {
    try {
      return ending.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      ending.complete(new Ending(Kind.TIMED_OUT, null));
    } catch (InterruptedException e) {
      // Restored when run() returns, so that killing the process and reading its output are not cut short.
      interrupted = true;
      ending.complete(new Ending(Kind.CANCELLED, "the node interrupted its task worker"));
    } catch (ExecutionException e) {
      throw new IllegalStateException("the ending future cannot fail", e);
    }
    return ending.join();
  }

  private static String stderrTail(String stderr) {
    String s = stderr.strip();
    if (s.isEmpty()) {
      return "";
    }
    return "; stderr: " + (s.length() > STDERR_TAIL_CHARS ? "…" + s.substring(s.length() - STDERR_TAIL_CHARS) : s);
  }

  private static long millisUntil(Instant deadline) {
    try {
      return Duration.between(Instant.now(), deadline).toMillis();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
