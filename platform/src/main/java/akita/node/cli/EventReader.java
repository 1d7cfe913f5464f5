package akita.node.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a node's Server-Sent Events stream ({@code GET /api/v1/events}) on a daemon thread, so the CLI can
 * wait for the next event with a time limit. Each event's data is a ledger entry; its {@code id} the seq.
 */
final class EventReader implements AutoCloseable {

  /** One event: {@code type} is the ledger type, or {@code overflow} / {@code error} from the node. */
  record Event(long id, String type, JsonObject data) {
  }

  /** Marks the end of the stream in the queue. */
  private static final Event END = new Event(-1, "", new JsonObject());

  private final InputStream body;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private volatile boolean ended;

  EventReader(InputStream body) {
    this.body = body;
    Thread t = new Thread(this::read, "akita-events");
    t.setDaemon(true);
    t.start();
  }

  private void read() {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      long id = -1;
      String type = null;
      StringBuilder data = new StringBuilder();
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.isEmpty()) {
          if (type != null) {
            events.add(new Event(id, type, parse(data.toString())));
          }
          id = -1;
          type = null;
          data.setLength(0);
        } else if (line.startsWith("id:")) {
          id = Long.parseLong(line.substring(3).strip());
        } else if (line.startsWith("event:")) {
          type = line.substring(6).strip();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).strip());
        }
      }
    } catch (IOException | NumberFormatException e) {
      // the stream broke: the caller resumes or falls back
    } finally {
      ended = true;
      events.add(END);
    }
  }

  private static JsonObject parse(String s) {
    try {
      return new JsonObject(s);
    } catch (DecodeException e) {
      return new JsonObject().put("raw", s);
    }
  }

  /**
   * @param timeoutMs how long to wait
   * @return the next event, or {@code null} if none came in time
   * @throws StreamEnded if the stream has ended
   */
  Event next(long timeoutMs) throws InterruptedException {
    Event e = events.poll(Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
    if (e == END) {
      events.add(END);
      throw new StreamEnded();
    }
    return e;
  }

  boolean ended() {
    return ended;
  }

  @Override
  public void close() {
    try {
      body.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** The node closed the stream, or the connection broke. */
  static final class StreamEnded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StreamEnded() {
      super("the event stream ended", null, false, false);
    }
  }
}
