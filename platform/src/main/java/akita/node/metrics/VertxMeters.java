package akita.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServerConfig;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Vert.x's own meters, through Vert.x's metrics SPI, into the node's Micrometer registry: the event bus (per
 * address), the HTTP server (per method, route and status) and Vert.x's pools (worker pools, the SQL pool). Names
 * and labels are those of the {@code vertx-micrometer-metrics} module ({@code vertx_eventbus_*},
 * {@code vertx_http_server_*}, {@code vertx_pool_*}), whose 5.1 line is not on Maven Central and whose 5.0 line
 * does not fit Vert.x 5.1's SPI (ADR 0017).
 *
 * <p>Client metrics are deliberately not provided: the SQL client 5.0.10 calls a {@code ClientMetrics} method
 * that Vert.x 5.1 no longer has, so handing it any client metrics would break every query.
 */
final class VertxMeters implements VertxMetricsFactory {

  /** Node and task ids inside event-bus addresses, replaced by {@code *} in the address label. */
  private static final Pattern UUID_PART =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  /** Beyond this many distinct address shapes, further ones share the label {@code other}. */
  private static final int MAX_ADDRESSES = 1_000;
  private static final Duration[] HTTP_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

  private final MeterRegistry registry;
  private final Map<String, String> shapes = new ConcurrentHashMap<>();
  private final Map<Key, Object> meters = new ConcurrentHashMap<>();
  private final Map<Key, AtomicLong> levels = new ConcurrentHashMap<>();

  /** A meter's identity: its name and label values (at most three). */
  private record Key(String name, String a, String b, String c) {
  }

  VertxMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return new VertxMetrics() {
      @Override
      public boolean isMetricsEnabled() {
        return true;
      }

      @Override
      public EventBusMetrics<?> createEventBusMetrics() {
        return new Bus();
      }

      @Override
      public HttpServerMetrics<?, ?> createHttpServerMetrics(HttpServerConfig config, SocketAddress tcpLocalAddress,
          SocketAddress udpLocalAddress) {
        return new Http();
      }

      @Override
      public PoolMetrics<?, ?> createPoolMetrics(String poolType, String poolName, int maxPoolSize) {
        return new Pool(poolType, poolName, maxPoolSize);
      }
    };
  }

  /**
   * @param address an event-bus address
   * @return its label: ids replaced by {@code *}, so per-node addresses make one series per shape
   */
  String shape(String address) {
    String known = shapes.get(address);
    if (known != null) {
      return known;
    }
    String shape = shapes.size() >= MAX_ADDRESSES ? "other" : UUID_PART.matcher(address).replaceAll("*");
    shapes.putIfAbsent(address, shape);
    return shape;
  }

  private Counter counter(String name, String help, String... tags) {
    return (Counter) meters.computeIfAbsent(key(name, tags), k -> Counter.builder(name).description(help)
        .tags(tags).register(registry));
  }

  private DistributionSummary summary(String name, String help, String... tags) {
    return (DistributionSummary) meters.computeIfAbsent(key(name, tags), k -> DistributionSummary.builder(name)
        .description(help).tags(tags).register(registry));
  }

  private Timer timer(String name, String help, Duration[] buckets, String... tags) {
    return (Timer) meters.computeIfAbsent(key(name, tags), k -> {
      Timer.Builder b = Timer.builder(name).description(help).tags(tags);
      if (buckets != null) {
        b.serviceLevelObjectives(buckets);
      }
      return b.register(registry);
    });
  }

  /** A gauge over a level that goes up and down; one per name and labels. */
  private AtomicLong level(String name, String help, String... tags) {
    return levels.computeIfAbsent(key(name, tags), k -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder(name, v, AtomicLong::get).description(help).tags(tags).register(registry);
      return v;
    });
  }

  private static Key key(String name, String... tags) {
    return new Key(name, tags.length > 1 ? tags[1] : null, tags.length > 3 ? tags[3] : null,
        tags.length > 5 ? tags[5] : null);
  }

  private static String side(boolean local) {
    return local ? "local" : "remote";
  }

  private static boolean internal(String address) {
    return address.startsWith("__vertx.");
  }

  /** The event bus: per address (ids folded, see {@link #shape}) and side (local or remote). */
  private final class Bus implements EventBusMetrics<String> {

    @Override
    public String handlerRegistered(String address) {
      if (internal(address)) {
        return null;
      }
      String shape = shape(address);
      level("vertx.eventbus.handlers", "Number of event bus handlers in use", "address", shape).incrementAndGet();
      return shape;
    }

    @Override
    public void handlerUnregistered(String shape) {
      if (shape != null) {
        level("vertx.eventbus.handlers", "Number of event bus handlers in use", "address", shape).decrementAndGet();
      }
    }

    @Override
    public void scheduleMessage(String shape, boolean local) {
      if (shape != null) {
        pending(shape, local).incrementAndGet();
      }
    }

    @Override
    public void messageDelivered(String shape, boolean local) {
      if (shape != null) {
        pending(shape, local).decrementAndGet();
        counter("vertx.eventbus.processed", "Number of processed messages", "address", shape, "side", side(local))
            .increment();
      }
    }

    @Override
    public void discardMessage(String shape, boolean local, Message<?> msg) {
      if (shape != null) {
        pending(shape, local).decrementAndGet();
        counter("vertx.eventbus.discarded", "Number of discarded messages", "address", shape, "side", side(local))
            .increment();
      }
    }

    private AtomicLong pending(String shape, boolean local) {
      return level("vertx.eventbus.pending", "Number of messages not processed yet", "address", shape, "side",
          side(local));
    }

    @Override
    public void messageSent(String address, boolean publish, boolean local, boolean remote) {
      if (!internal(address)) {
        if (publish) {
          counter("vertx.eventbus.published", "Number of messages published (publish / subscribe)", "address",
              shape(address), "side", side(local)).increment();
        } else {
          counter("vertx.eventbus.sent", "Number of messages sent (point-to-point)", "address", shape(address),
              "side", side(local)).increment();
        }
      }
    }

    @Override
    public void messageReceived(String address, boolean publish, boolean local, int handlers) {
      if (!internal(address)) {
        counter("vertx.eventbus.received", "Number of messages received", "address", shape(address), "side",
            side(local)).increment();
        if (handlers > 0) {
          counter("vertx.eventbus.delivered", "Number of messages delivered to handlers", "address", shape(address),
              "side", side(local)).increment();
        }
      }
    }

    @Override
    public void messageWritten(String address, int numberOfBytes) {
      if (!internal(address)) {
        summary("vertx.eventbus.bytes.written", "Number of bytes sent while sending messages to event bus cluster "
            + "peers", "address", shape(address)).record(numberOfBytes);
      }
    }

    @Override
    public void messageRead(String address, int numberOfBytes) {
      if (!internal(address)) {
        summary("vertx.eventbus.bytes.read", "Number of bytes received while reading messages from event bus "
            + "cluster peers", "address", shape(address)).record(numberOfBytes);
      }
    }

    @Override
    public void replyFailure(String address, ReplyFailure failure) {
      if (!internal(address)) {
        counter("vertx.eventbus.reply.failures", "Number of message reply failures", "address", shape(address),
            "failure", failure.name()).increment();
      }
    }
  }

  /** One HTTP request in flight. */
  private static final class Request {
    final String method;
    final long startNanos = System.nanoTime();
    volatile String route;

    Request(String method) {
      this.method = method;
    }
  }

  /** The HTTP server: per method, the vertx-web route that answered (its path pattern) and status code. */
  private final class Http implements HttpServerMetrics<Request, Void> {

    private AtomicLong active(String method) {
      return level("vertx.http.server.active.requests", "Number of requests being processed", "method", method);
    }

    @Override
    public Request requestBegin(SocketAddress remoteAddress, HttpRequest request) {
      Request r = new Request(request.method().name());
      active(r.method).incrementAndGet();
      return r;
    }

    @Override
    public void requestEnd(Request r, HttpRequest request, long bytesRead) {
      summary("vertx.http.server.request.bytes", "Size of requests in bytes", "method", r.method).record(bytesRead);
    }

    @Override
    public void requestReset(Request r) {
      active(r.method).decrementAndGet();
      counter("vertx.http.server.request.resets", "Number of request resets", "method", r.method).increment();
    }

    @Override
    public void requestRouted(Request r, String route) {
      r.route = route; // the last route to handle it: the operation, not the auth and body handlers before it
    }

    @Override
    public void responseEnd(Request r, HttpResponse response, long bytesWritten) {
      active(r.method).decrementAndGet();
      String route = r.route == null || r.route.isEmpty() ? "unmatched" : r.route;
      String code = String.valueOf(response.statusCode());
      counter("vertx.http.server.requests", "Number of processed requests", "method", r.method, "route", route,
          "code", code).increment();
      timer("vertx.http.server.response.time", "Request processing time", HTTP_BUCKETS, "method", r.method,
          "route", route, "code", code).record(System.nanoTime() - r.startNanos, TimeUnit.NANOSECONDS);
      summary("vertx.http.server.response.bytes", "Size of responses in bytes", "method", r.method, "route", route,
          "code", code).record(bytesWritten);
    }
  }

  /** A Vert.x pool: worker pools ({@code pool_type="worker"}) and the SQL client's ({@code "sql"}). */
  private final class Pool implements PoolMetrics<Long, Long> {
    private final String[] tags;
    private final AtomicLong queued;
    private final AtomicLong inUse;
    private final Timer queueTime;
    private final Timer usage;
    private final Counter completed;

    Pool(String type, String name, int maxSize) {
      tags = new String[] {"pool_type", type, "pool_name", name};
      queued = level("vertx.pool.queue.pending", "Number of pending elements in queue", tags);
      inUse = level("vertx.pool.in.use", "Number of resources used", tags);
      if (maxSize > 0) {
        Gauge.builder("vertx.pool.ratio", inUse, v -> (double) v.get() / maxSize)
            .description("Pool usage ratio, only present if maximum pool size could be determined").tags(tags)
            .register(registry);
      }
      queueTime = timer("vertx.pool.queue.time", "Time spent in queue before being processed", null, tags);
      usage = timer("vertx.pool.usage", "Time using a resource", null, tags);
      completed = counter("vertx.pool.completed", "Number of elements done with the resource", tags);
    }

    @Override
    public Long enqueue() {
      queued.incrementAndGet();
      return System.nanoTime();
    }

    @Override
    public void dequeue(Long enqueuedAt) {
      queued.decrementAndGet();
      queueTime.record(System.nanoTime() - enqueuedAt, TimeUnit.NANOSECONDS);
    }

    @Override
    public Long begin() {
      inUse.incrementAndGet();
      return System.nanoTime();
    }

    @Override
    public void end(Long begunAt) {
      inUse.decrementAndGet();
      usage.record(System.nanoTime() - begunAt, TimeUnit.NANOSECONDS);
      completed.increment();
    }
  }
}
