package akita.node.worker;

import akita.api.task.TaskContext;
import akita.api.task.TaskProgress;
import akita.node.logging.Logging;
import akita.node.plugin.ContextLogger;
import akita.node.storage.Folders;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform's {@link TaskContext} for one attempt: cancellation, progress, a scratch folder deleted at
 * the end, and blocking work on the task worker pool with the plugin's class loader as the thread's context
 * class loader.
 */
public final class AttemptContext implements TaskContext {

  /**
   * Everything that describes the attempt.
   *
   * @param nodeId the node running it, for its log lines ({@code null} outside a node)
   */
  public record Spec(String taskId, String taskType, int attempt, JsonObject payload, Instant deadline,
      Map<String, JsonObject> upstreamResults, String nodeId) {

    /** An attempt not tied to a node (tests, tools). */
    public Spec(String taskId, String taskType, int attempt, JsonObject payload, Instant deadline,
        Map<String, JsonObject> upstreamResults) {
      this(taskId, taskType, attempt, payload, deadline, upstreamResults, null);
    }
  }

  private final Vertx vertx;
  private final WorkerExecutor pool;
  private final ClassLoader pluginLoader;
  private final Spec spec;
  private final Path scratchRoot;
  private final Consumer<TaskProgress> onProgress;
  private final Promise<String> cancelled = Promise.promise();
  private final Logger logger;
  private final Map<String, String> logContext;
  private final io.vertx.core.Context owner;
  private volatile Path scratch;

  /**
   * @param vertx the node's Vert.x
   * @param pool the worker pool for blocking work
   * @param pluginLoader the class loader of the executor's plugin
   * @param spec the attempt
   * @param scratchRoot where scratch folders are made
   * @param onProgress receives progress reports
   */
  public AttemptContext(Vertx vertx, WorkerExecutor pool, ClassLoader pluginLoader, Spec spec, Path scratchRoot,
      Consumer<TaskProgress> onProgress) {
    this.vertx = vertx;
    this.pool = pool;
    this.pluginLoader = pluginLoader;
    this.spec = spec;
    this.scratchRoot = scratchRoot;
    this.onProgress = onProgress;
    this.owner = vertx.getOrCreateContext();
    this.logContext = Logging.taskContext(spec.nodeId(), spec.taskId(), spec.attempt());
    this.logger = ContextLogger.wrap(LoggerFactory.getLogger("akita.task." + spec.taskType()), logContext);
  }

  /**
   * @return the MDC entries on every log line about this attempt: {@code nodeId} (when known), {@code taskId},
   *     {@code attempt}, {@code traceId}
   */
  public Map<String, String> logContext() {
    return logContext;
  }

  /**
   * Cancels the attempt: the executor's cancellation signal fires. Idempotent.
   *
   * @param reason why, for the executor and the task's record
   */
  public void cancel(String reason) {
    // Complete on the attempt's own context, so executors' cancellation handlers never run on a foreign
    // thread (a test thread, the plugin admin thread).
    owner.runOnContext(v -> cancelled.tryComplete(reason));
  }

  /** Deletes the scratch folder, if one was made, on the worker pool. Call once the attempt has ended. */
  public void close() {
    Path dir = scratch;
    if (dir == null) {
      return;
    }
    pool.executeBlocking(() -> {
      try {
        Folders.deleteTree(dir);
      } catch (IOException e) {
        logger.warn("could not delete scratch folder {}: {}", dir, e.getMessage());
      }
      return null;
    }, false);
  }

  @Override
  public String taskId() {
    return spec.taskId();
  }

  @Override
  public String taskType() {
    return spec.taskType();
  }

  @Override
  public int attempt() {
    return spec.attempt();
  }

  @Override
  public JsonObject payload() {
    return spec.payload();
  }

  @Override
  public Instant deadline() {
    return spec.deadline();
  }

  @Override
  public boolean isCancelled() {
    return cancelled.future().isComplete();
  }

  @Override
  public Future<String> cancellation() {
    return cancelled.future();
  }

  @Override
  public void progress(TaskProgress progress) {
    // Executors report from any thread (a worker thread, a process reader); the consumer runs on the
    // context that started the attempt, so it needs no locking.
    owner.runOnContext(v -> onProgress.accept(progress));
  }

  @Override
  public Logger logger() {
    return logger;
  }

  @Override
  public synchronized Path scratchDir() {
    if (scratch == null) {
      try {
        Files.createDirectories(scratchRoot);
        scratch = Files.createTempDirectory(scratchRoot, spec.taskId() + "-" + spec.attempt() + "-");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a scratch folder under " + scratchRoot, e);
      }
    }
    return scratch;
  }

  @Override
  public Map<String, JsonObject> upstreamResults() {
    return spec.upstreamResults();
  }

  @Override
  public Vertx vertx() {
    return vertx;
  }

  @Override
  public <T> Future<T> executeBlocking(Callable<T> work) {
    return pool.executeBlocking(() -> {
      Thread t = Thread.currentThread();
      ClassLoader before = t.getContextClassLoader();
      t.setContextClassLoader(pluginLoader);
      try {
        return work.call();
      } finally {
        t.setContextClassLoader(before);
      }
    }, false);
  }
}
