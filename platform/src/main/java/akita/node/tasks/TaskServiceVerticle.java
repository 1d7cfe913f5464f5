package akita.node.tasks;

import akita.node.bus.BusError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The public event-bus RPC door of the task service ({@code akita.tasks.*}), on every node: any JVM that joins
 * the cluster can submit, get, list and cancel tasks here, with the same validation and error codes as the
 * REST API.
 */
public final class TaskServiceVerticle extends VerticleBase {

  private final TaskGateway gateway;

  /** @param gateway the shared door logic */
  public TaskServiceVerticle(TaskGateway gateway) {
    this.gateway = gateway;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.consumer(TaskAddresses.SUBMIT, m -> answer(m, b -> gateway.submit(b, "eventbus"))).completion(),
        bus.consumer(TaskAddresses.SUBMIT_BATCH, m -> answer(m, b -> gateway.submitAll(b.getJsonArray("tasks"),
            "eventbus"))).completion(),
        bus.consumer(TaskAddresses.GET, m -> answer(m, b -> gateway.get(b.getString("id", "")))).completion(),
        bus.consumer(TaskAddresses.LIST, m -> answer(m, gateway::list)).completion(),
        bus.consumer(TaskAddresses.CANCEL, m -> answer(m, b -> gateway.cancel(b.getString("id", ""),
            b.getString("reason", "cancelled by request")))).completion()));
  }

  /** Bodies from other JVMs are untrusted: anything but a JSON object is refused with 400, never a timeout. */
  private static void answer(Message<Object> m, java.util.function.Function<JsonObject, Future<JsonObject>> op) {
    if (!(m.body() instanceof JsonObject body)) {
      new BusError(400, "INVALID_TASK", "the request body must be a JSON object").failOn(m);
      return;
    }
    Future<JsonObject> result;
    try {
      result = op.apply(body);
    } catch (ClassCastException e) {
      result = Future.failedFuture(new BusError(400, "INVALID_TASK", "a field has the wrong type: "
          + e.getMessage()).asException());
    }
    result.onSuccess(m::reply).onFailure(err -> BusError.from(err).failOn(m));
  }
}
