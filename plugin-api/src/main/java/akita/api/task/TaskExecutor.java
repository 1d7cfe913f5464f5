package akita.api.task;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.pf4j.ExtensionPoint;

/**
 * Runs tasks of one or more types. Implementations are PF4J extensions ({@code @Extension}) packaged in a
 * plugin jar; every node that loads the plugin can run the types the executor names.
 *
 * <p>Lifecycle: the platform creates one instance per plugin load, calls {@link #start(ExecutorContext)}
 * once, then {@link #execute(TaskContext)} for every attempt (concurrently, from event-loop threads), and
 * {@link #stop()} once before the plugin is unloaded. An executor that fails to start is refused and its
 * plugin unloaded; the node goes on.
 *
 * <p>{@code execute} must never block the calling event loop: return a future at once and run blocking work
 * through {@link TaskContext#executeBlocking(java.util.concurrent.Callable)}.
 */
public interface TaskExecutor extends ExtensionPoint {

  /**
   * The task types this executor runs, such as {@code "shell"}. Each type is a lowercase identifier
   * ({@code [a-z][a-z0-9._-]*}) and must be unique across the plugins a node loads.
   *
   * @return a non-empty, immutable set of task types
   */
  Set<String> taskTypes();

  /**
   * Capabilities a node must offer (its {@code --capabilities}) for this executor to run there, for example
   * {@code "docker"}. The default is none.
   *
   * @return an immutable set of capability names
   */
  default Set<String> requiredCapabilities() {
    return Set.of();
  }

  /**
   * Capabilities a node gains by running this executor; they are announced with the node's own, so tasks can
   * require them. The default is none.
   *
   * @return an immutable set of capability names
   */
  default Set<String> providedCapabilities() {
    return Set.of();
  }

  /**
   * Prepares the executor, once, before any task. The default does nothing.
   *
   * @param context the plugin's environment
   * @return a future that completes when the executor is ready; a failure refuses the plugin
   */
  default Future<Void> start(ExecutorContext context) {
    return Future.succeededFuture();
  }

  /**
   * Releases what {@link #start(ExecutorContext)} acquired, once, after the last task. The default does
   * nothing.
   *
   * @return a future that completes when the executor has stopped
   */
  default Future<Void> stop() {
    return Future.succeededFuture();
  }

  /**
   * Runs one attempt of a task.
   *
   * @param context the task and the services it may use; valid until the returned future completes
   * @return a future completed with the task's result as JSON, or failed with a {@link TaskException}
   *     (any other failure is reported as {@link TaskException#EXECUTION_FAILED})
   */
  Future<JsonObject> execute(TaskContext context);
}
