package akita.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** A way in for submitting tasks: the event-bus RPC or REST. */
interface Door {

  /** The event-bus RPC ({@code akita.tasks.submit} through {@code TaskClient}). */
  String EVENTBUS = "eventbus";
  /** REST ({@code POST /api/v1/tasks}) over keep-alive HTTP/1.1. */
  String REST = "rest";
  /** REST, the submits of one event-loop turn together ({@code POST /api/v1/tasks/batch}). */
  String REST_BATCH = "rest-batch";

  /**
   * Submits one task. Called on the workload's context; the future completes on it.
   *
   * @param task the task JSON, with its {@code notify} address set
   * @return completed once the cluster has accepted the task; failed with the reason otherwise
   */
  Future<Void> submit(JsonObject task);

  /** @return completed once the door's resources are released */
  Future<Void> close();
}
