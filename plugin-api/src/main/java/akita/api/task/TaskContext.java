package akita.api.task;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;

/**
 * What an executor knows about the task attempt it runs and the services it may use for it. Valid until the
 * future returned by {@link TaskExecutor#execute(TaskContext)} completes.
 */
public interface TaskContext {

  /**
   * The task's id, unique in the cluster.
   *
   * @return the task id
   */
  String taskId();

  /**
   * The task type this attempt was routed by.
   *
   * @return the task type
   */
  String taskType();

  /**
   * The attempt number, starting at 1.
   *
   * @return the attempt number
   */
  int attempt();

  /**
   * The task's payload as submitted. Treat it as read-only.
   *
   * @return the payload, never {@code null} (an empty object when none was given)
   */
  JsonObject payload();

  /**
   * When this attempt must be finished; the platform cancels the attempt after it.
   *
   * @return the deadline of this attempt
   */
  Instant deadline();

  /**
   * Whether the attempt has been cancelled (by a user, a timeout or a shutdown).
   *
   * @return {@code true} once cancelled
   */
  boolean isCancelled();

  /**
   * A future that completes when the attempt is cancelled, with the reason; it never fails. Executors that
   * hold resources (processes, connections) release them when it completes.
   *
   * @return the cancellation signal
   */
  Future<String> cancellation();

  /**
   * Reports progress, shown to users watching the task. Cheap; call it as often as useful.
   *
   * @param progress how far the attempt is
   */
  void progress(TaskProgress progress);

  /**
   * A logger whose events carry the task id and attempt.
   *
   * @return the logger
   */
  Logger logger();

  /**
   * A folder for this attempt's temporary files, created on first call and deleted when the attempt ends.
   *
   * @return the scratch folder
   */
  Path scratchDir();

  /**
   * Results of the tasks this one depends on in a workflow, by their step name; empty for a plain task.
   *
   * @return the upstream results, read-only
   */
  Map<String, JsonObject> upstreamResults();

  /**
   * The node's Vert.x instance, for timers and clients. Do not close it.
   *
   * @return the Vert.x instance
   */
  Vertx vertx();

  /**
   * Runs blocking work on a worker pool reserved for task executors, never on an event loop. The thread's
   * context class loader is the plugin's while the work runs.
   *
   * @param work the blocking work
   * @param <T> the result type
   * @return a future of the work's result
   */
  <T> Future<T> executeBlocking(Callable<T> work);
}
