package akita.plugins.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;

/**
 * The body codec of one {@link HttpCall}: keeps the first {@code maxBytes} of the response body and, as soon as
 * the body runs past them, hands what it kept to the call, which completes the attempt and resets the request
 * instead of reading the rest. Memory use is therefore bounded by the cap whatever the server sends.
 *
 * <p>The codec also names its call, which is how {@link HttpCall#intercept} finds the call a web-client request
 * belongs to.
 */
final class CappedBody implements BodyCodec<Buffer> {

  /** The largest buffer allocated up front; bodies are usually much smaller than the cap. */
  private static final int INITIAL_CAPACITY = 64 * 1024;

  private final HttpCall call;
  private final int maxBytes;

  /**
   * @param call the call whose response this codec reads
   * @param maxBytes how many bytes of the body to keep
   */
  CappedBody(HttpCall call, int maxBytes) {
    this.call = call;
    this.maxBytes = maxBytes;
  }

  /** @return the call this codec belongs to */
  HttpCall call() {
    return call;
  }

  @Override
  public BodyStream<Buffer> stream() {
    return new Stream();
  }

  /** Collects one response body. Runs on the request's context, like every handler of the response. */
  private final class Stream implements BodyStream<Buffer> {

    private final Buffer kept = Buffer.buffer(Math.min(maxBytes, INITIAL_CAPACITY));
    private final Promise<Buffer> result = Promise.promise();
    private boolean truncated;

    @Override
    public Future<Buffer> result() {
      return result.future();
    }

    @Override
    public Future<Void> write(Buffer chunk) {
      if (truncated) {
        return Future.succeededFuture(); // the rest of a body already cut off, until the reset takes effect
      }
      int room = maxBytes - kept.length();
      if (chunk.length() <= room) {
        kept.appendBuffer(chunk);
      } else {
        kept.appendBuffer(chunk, 0, room);
        truncated = true;
        call.bodyTruncated(kept);
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      result.tryComplete(kept);
      return Future.succeededFuture();
    }

    @Override
    public void handle(Throwable failure) {
      result.tryFail(failure);
    }

    @Override
    public Stream exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public Stream setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return false; // writes complete at once: nothing ever queues
    }

    @Override
    public Stream drainHandler(Handler<Void> handler) {
      return this;
    }
  }
}
