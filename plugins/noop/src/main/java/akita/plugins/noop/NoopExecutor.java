package akita.plugins.noop;

import akita.api.task.TaskContext;
import akita.api.task.TaskExecutor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.pf4j.Extension;

/**
 * {@code noop} completes at once with an empty result (the benchmark workload); {@code echo} completes
 * with the payload it was given.
 */
@Extension
public final class NoopExecutor implements TaskExecutor {

  private static final Set<String> TYPES = Set.of("noop", "echo");

  @Override
  public Set<String> taskTypes() {
    return TYPES;
  }

  @Override
  public Future<JsonObject> execute(TaskContext context) {
    if ("echo".equals(context.taskType())) {
      return Future.succeededFuture(context.payload().copy());
    }
    return Future.succeededFuture(new JsonObject());
  }
}
