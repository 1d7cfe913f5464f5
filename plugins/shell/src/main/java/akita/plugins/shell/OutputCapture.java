package akita.plugins.shell;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads one output stream of a process on its own thread, keeping the first {@code limit} bytes and draining
 * the rest so the process never blocks on a full pipe.
 */
final class OutputCapture {

  /**
   * What was read.
   *
   * @param text the kept bytes as UTF-8
   * @param truncated whether output beyond the limit was discarded
   * @param complete whether the stream reached its end before the capture was taken
   */
  record Captured(String text, boolean truncated, boolean complete) {
  }

  private final int limit;
  private final ByteArrayOutputStream kept;
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private boolean truncated;
  private boolean detached;

  private OutputCapture(int limit) {
    this.limit = limit;
    this.kept = new ByteArrayOutputStream(Math.min(limit, 8192));
  }

  /**
   * Starts draining a stream on a new daemon thread.
   *
   * @param in the stream, closed when it ends
   * @param limit how many bytes to keep
   * @param threadName the reader thread's name
   * @return the capture
   */
  static OutputCapture start(InputStream in, int limit, String threadName) {
    OutputCapture capture = new OutputCapture(limit);
    Thread t = new Thread(() -> capture.drain(in), threadName);
    t.setDaemon(true);
    t.start();
    return capture;
  }

  private void drain(InputStream in) {
    byte[] buf = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buf)) != -1) {
        append(buf, n);
      }
    } catch (IOException e) {
      // The pipe was closed under us: the process is gone and what was read is all there is.
    } finally {
      ended.complete(null);
    }
  }

  private synchronized void append(byte[] buf, int n) {
    if (detached) {
      return;
    }
    int room = limit - kept.size();
    if (n > room) {
      truncated = true;
    }
    if (room > 0) {
      kept.write(buf, 0, Math.min(n, room));
    }
  }

  /**
   * Waits for the stream to end, then returns what was kept. A background process that inherited the stream
   * can hold it open after the command exited; past {@code deadlineNanos} the capture is taken as it is and
   * the reader goes on discarding until the stream ends.
   *
   * @param deadlineNanos a {@link System#nanoTime()} after which not to wait
   * @return the captured output
   */
  Captured await(long deadlineNanos) throws InterruptedException {
    boolean complete;
    try {
      ended.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      complete = true;
    } catch (TimeoutException e) {
      complete = false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("the reader cannot fail", e);
    }
    synchronized (this) {
      detached = true;
      byte[] bytes = kept.toByteArray();
      int length = truncated ? wholeCharacters(bytes) : bytes.length;
      return new Captured(new String(bytes, 0, length, StandardCharsets.UTF_8), truncated, complete);
    }
  }

  /** The length of {@code bytes} without a trailing UTF-8 character the limit cut in two. */
  static int wholeCharacters(byte[] bytes) {
    int n = bytes.length;
    for (int i = n - 1; i >= 0 && i >= n - 4; i--) {
      int b = bytes[i] & 0xFF;
      if ((b & 0xC0) == 0x80) {
        continue; // a continuation byte: keep looking for the character's first byte
      }
      int width = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
      return i + width > n ? i : n;
    }
    return n;
  }
}
