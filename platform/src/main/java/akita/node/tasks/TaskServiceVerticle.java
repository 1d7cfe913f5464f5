package akita.node.tasks;

import akita.node.bus.BusError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The public event-bus RPC door of the task service ({@code akita.tasks.*}), on every node: any JVM that joins
 * the cluster can submit, get, list and cancel tasks here, with the same validation and error codes as the
 * REST API. While this node's scheduler leads, it also answers the submit addresses {@code *.at-leader}, which
 * spare a client's submits the hop through another node.
 */
public final class TaskServiceVerticle extends VerticleBase {

  private final TaskGateway gateway;
  private final List<MessageConsumer<Object>> atLeader = new ArrayList<>();

  /** @param gateway the shared door logic */
  public TaskServiceVerticle(TaskGateway gateway) {
    this.gateway = gateway;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>localConsumer(TaskAddresses.SCHEDULER_STATE, m -> leading(m.body().getLong("term", 0L) != 0))
            .completion(),
        // Published once a second while this node leads: opens the door if this verticle missed the start.
        bus.<JsonObject>localConsumer(TaskAddresses.STATS, m -> leading(m.body().getLong("term", 0L) != 0))
            .completion(),
        bus.consumer(TaskAddresses.SUBMIT, this::submit).completion(),
        bus.consumer(TaskAddresses.SUBMIT_BATCH, this::submitAll).completion(),
        bus.consumer(TaskAddresses.GET, m -> answer(m, b -> gateway.get(b.getString("id", "")))).completion(),
        bus.consumer(TaskAddresses.LIST, m -> answer(m, gateway::list)).completion(),
        bus.consumer(TaskAddresses.CANCEL, m -> answer(m, b -> gateway.cancel(b.getString("id", ""),
            b.getString("reason", "cancelled by request")))).completion()));
  }

  private void submit(Message<Object> m) {
    answer(m, b -> gateway.submit(b, "eventbus"));
  }

  private void submitAll(Message<Object> m) {
    answer(m, b -> gateway.submitAll(b.getJsonArray("tasks"), "eventbus"));
  }

  /** Opens the {@code *.at-leader} submit addresses on this node while its scheduler leads, and closes them. */
  private void leading(boolean leads) {
    if (leads && atLeader.isEmpty()) {
      atLeader.add(vertx.eventBus().consumer(TaskAddresses.SUBMIT_AT_LEADER, this::submit));
      atLeader.add(vertx.eventBus().consumer(TaskAddresses.SUBMIT_BATCH_AT_LEADER, this::submitAll));
    } else if (!leads) {
      atLeader.forEach(MessageConsumer::unregister);
      atLeader.clear();
    }
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
