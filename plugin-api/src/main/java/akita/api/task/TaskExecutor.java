package akita.api.task;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.pf4j.ExtensionPoint;

/**
 * Runs tasks of one or more types. Implementations are PF4J extensions ({@code @Extension}) packaged in a
 * plugin jar; every node that loads the plugin can run the types the executor names.
 *
 * <p>{@link #execute(TaskContext)} is called on a Vert.x event-loop thread and must never block it: return a
 * future at once and do blocking work through {@link TaskContext#executeBlocking(java.util.concurrent.Callable)}.
 * An executor is shared by all tasks of its types on a node and may be called concurrently.
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
   * Capabilities a node must have for this executor to be offered there, for example {@code "docker"}.
   * The default is none.
   *
   * @return an immutable set of capability names
   */
  default Set<String> requiredCapabilities() {
    return Set.of();
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
