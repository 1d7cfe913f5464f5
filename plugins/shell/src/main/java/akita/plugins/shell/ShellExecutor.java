package akita.plugins.shell;

import akita.api.task.ExecutorContext;
import akita.api.task.TaskContext;
import akita.api.task.TaskExecutor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.pf4j.Extension;

/**
 * Task type {@code shell}: runs one program as a child process of the node and returns its exit code and
 * output.
 *
 * <p>The command is an argv array, never a shell string; a {@code script} goes through {@code /bin/sh -c}
 * only when the payload also says {@code shell: true}. The child gets an empty environment except the node
 * variables named in the allowlist (plugin config {@code envAllowlist}; by default PATH, HOME, LANG, LC_ALL,
 * TZ, TMPDIR and USER) plus the payload's {@code env}. It runs in the attempt's scratch folder unless the
 * payload names a {@code workingDir}. Each of stdout and stderr is kept up to {@code maxOutputBytes} and
 * drained beyond it. On a timeout or a cancellation the whole process tree is signalled, then killed after a
 * grace period, and the attempt fails with {@code TIMEOUT} or {@code CANCELLED}; a non-zero exit fails it
 * with {@code EXECUTION_FAILED} unless {@code failOnNonZeroExit} is false. The payload and result are
 * described in the plugin's README.
 *
 * <p>The process is started and waited for on the task worker pool; its output is read on two threads of
 * its own, so a chatty command can never fill a pipe and stall.
 */
@Extension
public final class ShellExecutor implements TaskExecutor {

  /** The node variables a command sees when the plugin config has no {@code envAllowlist}. */
  private static final List<String> DEFAULT_ENV_ALLOWLIST =
      List.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER");

  private static final Set<String> TYPES = Set.of("shell");

  private final Set<ShellProcess> running = ConcurrentHashMap.newKeySet();
  private volatile Map<String, String> baseEnv = inherited(DEFAULT_ENV_ALLOWLIST);

  @Override
  public Set<String> taskTypes() {
    return TYPES;
  }

  @Override
  public Future<Void> start(ExecutorContext context) {
    Object value = context.config().getValue("envAllowlist");
    if (value != null) {
      List<String> names = names(value);
      if (names == null) {
        return Future.failedFuture(new IllegalArgumentException("envAllowlist in the shell plugin's config must be "
            + "an array of environment variable names, such as [\"PATH\", \"HOME\"], not " + value));
      }
      baseEnv = inherited(names);
      context.logger().info("commands inherit these node environment variables: {}", names);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> stop() {
    // The node cancels running attempts before it stops a plugin; this only catches any it could not.
    List<CompletableFuture<Void>> ends = new ArrayList<>();
    for (ShellProcess p : running) {
      p.abort("the shell plugin is stopping");
      ends.add(p.finished());
    }
    return Future.fromCompletionStage(CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)));
  }

  @Override
  public Future<JsonObject> execute(TaskContext context) {
    try {
      ShellProcess process = new ShellProcess(ShellRequest.parse(context.payload()), context, baseEnv);
      running.add(process);
      return context.executeBlocking(process::run).andThen(ar -> running.remove(process));
    } catch (RuntimeException e) { // a TaskException for a bad payload
      return Future.failedFuture(e);
    }
  }

  /** @return the names, or {@code null} when the value is not an array of non-empty strings */
  private static List<String> names(Object value) {
    if (!(value instanceof JsonArray array)) {
      return null;
    }
    List<String> names = new ArrayList<>();
    for (Object name : array) {
      if (!(name instanceof String s) || s.isEmpty()) {
        return null;
      }
      names.add(s);
    }
    return names;
  }

  private static Map<String, String> inherited(List<String> names) {
    Map<String, String> env = new HashMap<>();
    for (String name : names) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    return Map.copyOf(env);
  }
}
