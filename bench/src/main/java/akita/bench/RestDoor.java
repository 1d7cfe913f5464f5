package akita.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The REST door: {@code POST /api/v1/tasks} over keep-alive HTTP/1.1, spread round-robin over the nodes, with a
 * pool of connections to each so that the client is not what limits the rate. In batch mode the submits made in
 * one turn of the workload's event loop go together as one {@code POST /api/v1/tasks/batch} (at most 1,000).
 */
final class RestDoor implements Door {

  private static final int MAX_BATCH = 1_000;

  private final HttpClientAgent client;
  private final List<Integer> ports;
  private final long timeoutMs;
  private final boolean batch;
  private int next;
  /** Batch mode: the submits of this event-loop turn, sent when it ends. */
  private List<JsonObject> pending;
  private List<Promise<Void>> answers;

  /**
   * @param vertx the Vert.x to run on
   * @param apiPorts the nodes' API ports on 127.0.0.1
   * @param connectionsPerNode the pool size per node
   * @param timeoutMs how long one request may take
   * @param batch whether to send the submits of one event-loop turn as one batch request
   */
  RestDoor(Vertx vertx, List<Integer> apiPorts, int connectionsPerNode, long timeoutMs, boolean batch) {
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
        .setDefaultHost("127.0.0.1"), new PoolOptions().setHttp1MaxSize(connectionsPerNode));
    this.ports = List.copyOf(apiPorts);
    this.timeoutMs = timeoutMs;
    this.batch = batch;
  }

  @Override
  public Future<Void> submit(JsonObject task) {
    if (!batch) {
      return post("/api/v1/tasks", task.toBuffer()).compose(b -> Future.<Void>succeededFuture());
    }
    if (pending == null || pending.size() >= MAX_BATCH) {
      List<JsonObject> items = new ArrayList<>();
      List<Promise<Void>> promises = new ArrayList<>();
      pending = items;
      answers = promises;
      Vertx.currentContext().runOnContext(v -> {
        if (pending == items) {
          pending = null;
          answers = null;
        }
        sendBatch(items, promises);
      });
    }
    Promise<Void> p = Promise.promise();
    pending.add(task);
    answers.add(p);
    return p.future();
  }

  private void sendBatch(List<JsonObject> items, List<Promise<Void>> promises) {
    post("/api/v1/tasks/batch", new JsonObject().put("tasks", new JsonArray(new ArrayList<>(items))).toBuffer())
        .onComplete(ar -> {
          JsonArray out = ar.succeeded() ? new JsonObject(ar.result()).getJsonArray("tasks") : null;
          for (int i = 0; i < promises.size(); i++) {
            Object r = out != null && i < out.size() ? out.getValue(i) : null;
            if (ar.failed()) {
              promises.get(i).fail(ar.cause());
            } else if (r instanceof JsonObject t && t.getValue("id") instanceof String) {
              promises.get(i).complete();
            } else {
              promises.get(i).fail("refused in the batch: " + r);
            }
          }
        });
  }

  /** @return the body of a 200 or 202 answer; failed with the status and body otherwise */
  private Future<Buffer> post(String uri, Buffer body) {
    int port = ports.get(Math.floorMod(next++, ports.size()));
    return client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
            .setURI(uri).setIdleTimeout(timeoutMs).putHeader("Content-Type", "application/json"))
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().compose(b -> resp.statusCode() == 202 || resp.statusCode() == 200
            ? Future.succeededFuture(b)
            : Future.failedFuture("HTTP " + resp.statusCode() + ": " + b)));
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
