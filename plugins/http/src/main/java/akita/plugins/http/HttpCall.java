package akita.plugins.http;

import akita.api.task.TaskContext;
import akita.api.task.TaskException;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpResponseHead;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.impl.ClientPhase;
import io.vertx.ext.web.client.impl.HttpContext;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * One attempt of an {@code http} task: sends the request with the web client, keeps the response body up to
 * its cap, and settles the attempt exactly once, with a result or a {@link TaskException}, whichever of the
 * response, the timeout or the cancellation comes first.
 *
 * <p>Everything after construction runs on one Vert.x context (the one {@code execute} was called on, or a new
 * event-loop context when it was called from elsewhere): the request is sent from it, so the web client calls
 * back on it too, and the timer and the cancellation signal are moved onto it. The mutable state therefore
 * needs no locking.
 */
final class HttpCall {

  /** How much of an error response's body goes into the failure message. */
  private static final int ERROR_BODY_CHARS = 500;
  /** HTTP/2 CANCEL; for HTTP/1.x a reset closes the connection whatever the code. */
  private static final long RESET_CANCEL = 0x8;

  private final WebClient client;
  private final HttpPayload payload;
  private final TaskContext task;
  private final Context context;
  private final Promise<JsonObject> outcome = Promise.promise();

  private long startedNanos;
  private long timeoutMs;
  private long timer = -1;
  /** The request on the wire; a followed redirect replaces it. */
  private HttpClientRequest request;
  /** The final response's status line and headers, once they arrived. */
  private HttpClientResponse head;
  /** Why the call was aborted (timed out, cancelled, plugin stopping), once it was. */
  private TaskException aborted;

  /**
   * @param client the plugin's web client
   * @param payload the validated payload
   * @param task the attempt
   */
  HttpCall(WebClient client, HttpPayload payload, TaskContext task) {
    this.client = client;
    this.payload = payload;
    this.task = task;
    this.context = task.vertx().getOrCreateContext();
  }

  /**
   * Starts the exchange.
   *
   * @return the attempt's result: completed with the response, or failed with a {@link TaskException}
   */
  Future<JsonObject> start() {
    context.runOnContext(v -> {
      try {
        send();
      } catch (RuntimeException e) { // thrown on a context, it would only be logged and the attempt never end
        fail(failure(e));
      }
    });
    task.cancellation().onSuccess(reason -> abort(new TaskException(TaskException.CANCELLED,
        "the request to " + payload.target() + " was cancelled: " + reason, false)));
    return outcome.future();
  }

  /**
   * Aborts the exchange, if it has not ended: the attempt fails with {@code failure} and the request is reset.
   * Safe from any thread.
   *
   * @param failure what the attempt fails with
   */
  void abort(TaskException failure) {
    context.runOnContext(v -> {
      if (outcome.future().isComplete()) {
        return;
      }
      aborted = failure;
      fail(failure);
      if (request != null) {
        request.reset(RESET_CANCEL, failure);
      }
      // Without a request yet, the interceptor fails the exchange as soon as the client creates one.
    });
  }

  /** @return the attempt's result */
  Future<JsonObject> result() {
    return outcome.future();
  }

  private void send() {
    if (task.isCancelled()) {
      return; // the cancellation handler fails the attempt
    }
    long left = Duration.between(Instant.now(), task.deadline()).toMillis();
    timeoutMs = payload.timeoutMs() == null ? left : Math.min(payload.timeoutMs(), left);
    if (timeoutMs <= 0) {
      fail(new TaskException(TaskException.TIMEOUT, "the attempt's deadline passed before the request to "
          + payload.target() + " was sent", true));
      return;
    }
    startedNanos = System.nanoTime();
    timer = task.vertx().setTimer(timeoutMs, id -> {
      timer = -1;
      abort(new TaskException(TaskException.TIMEOUT, "no complete response from " + payload.target() + " within "
          + timeoutMs + " ms", true));
    });
    HttpRequest<Buffer> req = client.request(payload.method(), payload.port(), payload.host(), payload.requestUri())
        .ssl(payload.ssl())
        .followRedirects(payload.followRedirects())
        // The timer bounds the whole exchange. This bounds a connection attempt the pool would otherwise pursue
        // after an abort, for its default of 60 s.
        .connectTimeout(timeoutMs)
        .as(new CappedBody(this, payload.maxBodyBytes()));
    payload.headers().forEach(req::putHeader);
    Future<HttpResponse<Buffer>> sent;
    try {
      Object body = payload.body();
      if (body == null) {
        sent = req.send();
      } else if (body instanceof String text) {
        sent = req.sendBuffer(Buffer.buffer(text));
      } else {
        sent = req.sendJson(body); // sets content-type application/json unless the headers name one
      }
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> {
      if (ar.succeeded()) {
        HttpResponse<Buffer> response = ar.result();
        complete(response, response.body(), false);
      } else {
        fail(failure(ar.cause()));
      }
    });
  }

  /** Called by the body codec once the body ran past the cap: completes with what was kept. */
  void bodyTruncated(Buffer kept) {
    if (outcome.future().isComplete()) {
      return;
    }
    HttpClientRequest req = request;
    if (head == null) { // cannot happen while the interceptor is installed: it records the head before any body
      fail(new TaskException(TaskException.EXECUTION_FAILED, "the response from " + payload.target()
          + " could not be read: its body arrived without its head", true));
    } else {
      complete(head, kept, true);
    }
    if (req != null) {
      req.reset(RESET_CANCEL); // stop reading a body we will not keep
    }
  }

  private void complete(HttpResponseHead response, Buffer body, boolean truncated) {
    if (outcome.future().isComplete()) {
      return;
    }
    int status = response.statusCode();
    if (!payload.accepts(status)) {
      boolean retryable = status >= 500 || status == 429;
      String bodyStart = body == null || body.length() == 0 ? "(empty body)" : Utf8.start(body, ERROR_BODY_CHARS);
      fail(new TaskException(TaskException.EXECUTION_FAILED, payload.target() + " answered " + status + " "
          + response.statusMessage() + (payload.expectStatus() == null ? "" : " (expected one of "
          + new TreeSet<>(payload.expectStatus()) + ")") + ": " + bodyStart, retryable));
      return;
    }
    JsonObject result = new JsonObject()
        .put("status", status)
        .put("statusMessage", response.statusMessage())
        .put("headers", headers(response.headers()))
        .put("body", body == null ? "" : Utf8.decode(body, truncated))
        .put("bodyTruncated", truncated)
        .put("durationMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
    settle();
    outcome.tryComplete(result);
  }

  private void fail(TaskException failure) {
    settle();
    outcome.tryFail(failure);
  }

  private void settle() {
    if (timer >= 0) {
      task.vertx().cancelTimer(timer);
      timer = -1;
    }
  }

  /**
   * @return the response headers with lowercase names (HTTP names are case-insensitive, and HTTP/2 sends them
   *     lowercase anyway), a repeated header's values joined with ", "
   */
  private static JsonObject headers(MultiMap headers) {
    Map<String, String> joined = new TreeMap<>();
    for (Map.Entry<String, String> h : headers) {
      joined.merge(h.getKey().toLowerCase(Locale.ROOT), h.getValue(), (a, b) -> a + ", " + b);
    }
    JsonObject json = new JsonObject();
    joined.forEach((name, value) -> json.put(name, value));
    return json;
  }

  private TaskException failure(Throwable cause) {
    if (cause instanceof TaskException te) {
      return aborted != null ? aborted : te;
    }
    String target = payload.target();
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof UnknownHostException) {
        return new TaskException(TaskException.UNAVAILABLE, "cannot resolve host " + payload.host() + ": "
            + c.getMessage(), true);
      }
      if (c instanceof ConnectTimeoutException || c instanceof TimeoutException) {
        return new TaskException(TaskException.TIMEOUT, "no complete response from " + target + " within "
            + timeoutMs + " ms: " + c.getMessage(), true);
      }
      if (c instanceof ConnectException || c instanceof NoRouteToHostException) {
        return new TaskException(TaskException.UNAVAILABLE, "cannot connect to " + target + ": " + c.getMessage(),
            true);
      }
      if (c instanceof SSLException) {
        return new TaskException(TaskException.EXECUTION_FAILED, "TLS with " + target + " failed: " + c.getMessage(),
            false);
      }
      if (c instanceof HttpClosedException || c instanceof StreamResetException || c instanceof IOException) {
        return new TaskException(TaskException.UNAVAILABLE, "the connection to " + target
            + " failed before the response was complete: " + c, true);
      }
    }
    return new TaskException(TaskException.EXECUTION_FAILED, "the request to " + target + " failed: " + cause,
        !(cause instanceof IllegalArgumentException));
  }

  /**
   * The web-client interceptor the executor installs: tells each call which request is on the wire (so an
   * abort can reset it) and which response head arrived (so a truncated body can complete without the client's
   * own response object), and stops requests whose call was aborted before they were sent.
   *
   * <p>{@link WebClient#addInterceptor} is the only hook the web client offers to reach the underlying
   * request; it is marked internal, so this method is the one place that depends on Vert.x web-client internals.
   *
   * @param ctx the client's context of one exchange
   */
  static void intercept(HttpContext<?> ctx) {
    if (!(ctx.request().bodyCodec() instanceof CappedBody codec)) {
      ctx.next();
      return;
    }
    HttpCall call = codec.call();
    ClientPhase phase = ctx.phase();
    if (phase == ClientPhase.FAILURE || phase == ClientPhase.DISPATCH_RESPONSE) {
      ctx.next();
      return;
    }
    if (call.aborted != null) {
      ctx.fail(call.aborted); // the client resets the request it made, if it made one
      return;
    }
    if (phase == ClientPhase.SEND_REQUEST) {
      call.request = ctx.clientRequest();
    } else if (phase == ClientPhase.RECEIVE_RESPONSE) {
      call.head = ctx.clientResponse();
    }
    ctx.next();
  }
}
