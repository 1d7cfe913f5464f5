package akita.plugins.http;

import akita.api.task.ExecutorContext;
import akita.api.task.TaskContext;
import akita.api.task.TaskException;
import akita.api.task.TaskExecutor;
import io.vertx.core.Future;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.pf4j.Extension;

/**
 * Task type {@code http}: makes one HTTP request described by the payload with the Vert.x web client and
 * returns the response's status, headers and body.
 *
 * <p>The payload names the {@code method} (GET by default), an absolute http or https {@code url}, optional
 * {@code headers} and {@code body} (a string, or a JSON object or array sent as JSON), a {@code timeoutMs} capped
 * by the attempt's deadline, a {@code maxBodyBytes} cap on the response body kept (1 MiB by default, at most
 * 16 MiB; a longer body is cut off and flagged), the statuses that count as success ({@code expectStatus}; any 2xx
 * or 3xx by default), and whether to follow redirects. A status that does not count as success fails the
 * attempt with {@code EXECUTION_FAILED}, retryable for 5xx and 429; an unreachable host fails it with
 * {@code UNAVAILABLE}; time running out with {@code TIMEOUT}; a cancellation resets the request and fails it with
 * {@code CANCELLED}. The plugin's README describes the payload and result in full.
 *
 * <p>One web client, made in {@link #start(ExecutorContext)}, serves every attempt, so connections to a host are
 * pooled and reused across tasks. Plugin config {@code maxConnectionsPerHost} sizes that pool.
 */
@Extension
public final class HttpExecutor implements TaskExecutor {

  /** Connections kept per host when the plugin config does not say. */
  static final int DEFAULT_MAX_CONNECTIONS_PER_HOST = 20;
  private static final int MAX_CONNECTIONS_PER_HOST_LIMIT = 1000;
  private static final String USER_AGENT = "akita-genesis-http";
  private static final Set<String> TYPES = Set.of("http");

  private final Set<HttpCall> running = ConcurrentHashMap.newKeySet();
  /** Held for as long as the plugin is loaded: Vert.x 5 closes a client nothing refers to any more. */
  private volatile WebClient client;

  @Override
  public Set<String> taskTypes() {
    return TYPES;
  }

  @Override
  public Future<Void> start(ExecutorContext context) {
    Object value = context.config().getValue("maxConnectionsPerHost");
    int maxConnections = DEFAULT_MAX_CONNECTIONS_PER_HOST;
    if (value != null) {
      if (!(value instanceof Integer n) || n < 1 || n > MAX_CONNECTIONS_PER_HOST_LIMIT) {
        return Future.failedFuture(new IllegalArgumentException("maxConnectionsPerHost in the http plugin's config "
            + "must be a whole number from 1 to " + MAX_CONNECTIONS_PER_HOST_LIMIT + ", not " + value));
      }
      maxConnections = n;
    }
    WebClientOptions options = new WebClientOptions()
        .setUserAgent(USER_AGENT)
        .setFollowRedirects(true);
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(maxConnections).setHttp2MaxSize(maxConnections);
    WebClient c = WebClient.create(context.vertx(), options, pool);
    c.addInterceptor(HttpCall::intercept);
    client = c;
    context.logger().info("http client ready: at most {} connections per host", maxConnections);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> stop() {
    // The node cancels running attempts before it stops a plugin; this only catches any it could not.
    List<Future<JsonObject>> ends = new ArrayList<>();
    for (HttpCall call : running) {
      call.abort(new TaskException(TaskException.CANCELLED, "the http plugin is stopping", false));
      ends.add(call.result());
    }
    return Future.join(ends).transform(ar -> {
      WebClient c = client;
      client = null;
      if (c != null) {
        c.close();
      }
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<JsonObject> execute(TaskContext context) {
    try {
      WebClient c = client;
      if (c == null) {
        return Future.failedFuture(new TaskException(TaskException.UNAVAILABLE, "the http plugin is not started",
            true));
      }
      HttpCall call = new HttpCall(c, HttpPayload.parse(context.payload()), context);
      running.add(call);
      return call.start().andThen(ar -> running.remove(call));
    } catch (RuntimeException e) { // a TaskException for a bad payload
      return Future.failedFuture(e);
    }
  }
}
