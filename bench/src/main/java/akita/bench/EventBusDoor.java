package akita.bench;

import akita.api.client.TaskClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** The event-bus RPC door: {@link TaskClient#submit}, which any node answers and forwards to the leader. */
final class EventBusDoor implements Door {

  private final TaskClient client;

  EventBusDoor(Vertx vertx, Duration requestTimeout) {
    this.client = new TaskClient(vertx, requestTimeout);
  }

  @Override
  public Future<Void> submit(JsonObject task) {
    return client.submit(task).mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
