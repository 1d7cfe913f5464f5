package akita.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The REST door: {@code POST /api/v1/tasks} over keep-alive HTTP/1.1, spread round-robin over the nodes, with a
 * pool of connections to each so that the client is not what limits the rate.
 */
final class RestDoor implements Door {

  private final HttpClientAgent client;
  private final List<Integer> ports;
  private final long timeoutMs;
  private int next;

  /**
   * @param vertx the Vert.x to run on
   * @param apiPorts the nodes' API ports on 127.0.0.1
   * @param connectionsPerNode the pool size per node
   * @param timeoutMs how long one request may take
   */
  RestDoor(Vertx vertx, List<Integer> apiPorts, int connectionsPerNode, long timeoutMs) {
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
        .setDefaultHost("127.0.0.1"), new PoolOptions().setHttp1MaxSize(connectionsPerNode));
    this.ports = List.copyOf(apiPorts);
    this.timeoutMs = timeoutMs;
  }

  @Override
  public Future<Void> submit(JsonObject task) {
    int port = ports.get(Math.floorMod(next++, ports.size()));
    Buffer body = task.toBuffer();
    return client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
            .setURI("/api/v1/tasks").setIdleTimeout(timeoutMs).putHeader("Content-Type", "application/json"))
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().compose(b -> resp.statusCode() == 202 || resp.statusCode() == 200
            ? Future.<Void>succeededFuture()
            : Future.failedFuture("HTTP " + resp.statusCode() + ": " + b)));
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
