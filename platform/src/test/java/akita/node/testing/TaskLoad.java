package akita.node.testing;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * An open-loop task load over REST: submits tasks ({@code POST /api/v1/tasks}) at a fixed rate whatever the
 * cluster's state, each with its own idempotency key, spread over the nodes in turn. A submit that is refused
 * (503 during a failover, a node that is down, a timeout) is repeated with the same key, on the next node, for
 * a bounded time; a task counts as acknowledged once a node answered 202 (created) or 200 (the same key seen
 * before). At most {@code maxInFlight} requests are open at once and at most {@code maxPending} submits wait
 * for an answer; ticks beyond that are shed (counted, never sent).
 */
public final class TaskLoad implements AutoCloseable {

  /**
   * An acknowledged submit.
   *
   * @param key its idempotency key
   * @param id the task id the cluster answered
   * @param firstSentAtMs when it was first sent (epoch ms)
   * @param ackedAtMs when it was acknowledged (epoch ms)
   * @param attempts how many requests it took
   */
  public record Acked(String key, String id, long firstSentAtMs, long ackedAtMs, int attempts) {
  }

  /**
   * What the load did so far.
   *
   * @param offered ticks of the open loop
   * @param acked submits acknowledged (202 or 200)
   * @param retried acknowledged or abandoned submits that needed more than one request
   * @param refusals requests answered with a retryable failure, by code ({@code NO_LEADER}, {@code CONNECT},
   *     {@code TIMEOUT}, ...)
   * @param gaveUp submits never acknowledged within the retry time
   * @param rejected submits refused for good (4xx), which a correct cluster never answers here
   * @param shed ticks not sent because too many submits were pending
   * @param pending submits still waiting for an answer
   */
  public record Stats(long offered, long acked, long retried, Map<String, Long> refusals, long gaveUp,
      long rejected, long shed, long pending) {
  }

  private final class Submission {
    final String key;
    final String body;
    final long firstSentAtMs = System.currentTimeMillis();
    int attempts;

    Submission(String key, String body) {
      this.key = key;
      this.body = body;
    }
  }

  private static final long DOWN_FOR_MS = 1_000;

  private final List<String> apis;
  private final double rate;
  private final LongFunction<JsonObject> tasks;
  private final String keyPrefix;
  private final long retryForMs;
  private final int maxPending;
  private final Duration requestTimeout;
  private final Semaphore inFlight;
  private final ConcurrentLinkedQueue<Submission> waiting = new ConcurrentLinkedQueue<>();
  private final HttpClient http;
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "task-load-retry");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Long> downUntil = new ConcurrentHashMap<>();
  private final Map<String, Acked> acked = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> refusals = new ConcurrentHashMap<>();
  private final List<String> rejections = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger turn = new AtomicInteger();
  private final AtomicLong offered = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicLong gaveUp = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong shed = new AtomicLong();
  private final AtomicLong pending = new AtomicLong();
  private volatile boolean running;
  private Thread generator;

  /**
   * @param apis the API base URLs to submit to (every node, running or not: a node that fails a request is
   *     skipped for a moment)
   * @param rate submits per second
   * @param tasks the task for tick {@code n} (without an idempotency key: the load adds one)
   * @param keyPrefix the idempotency keys' prefix, unique per run
   * @param retryFor how long a refused submit is repeated before it is abandoned
   */
  public TaskLoad(List<String> apis, double rate, LongFunction<JsonObject> tasks, String keyPrefix,
      Duration retryFor) {
    this.apis = List.copyOf(apis);
    this.rate = rate;
    this.tasks = tasks;
    this.keyPrefix = keyPrefix;
    this.retryForMs = retryFor.toMillis();
    this.maxPending = (int) Math.max(1_000, rate * retryFor.toSeconds());
    this.inFlight = new Semaphore((int) Math.max(64, Math.min(2_000, rate * 2)));
    this.requestTimeout = Duration.ofSeconds(12);
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(1)).build();
  }

  /** Starts the open loop. */
  public TaskLoad start() {
    running = true;
    generator = new Thread(this::generate, "task-load");
    generator.setDaemon(true);
    generator.start();
    return this;
  }

  private void generate() {
    long start = System.nanoTime();
    long n = 0;
    while (running) {
      long due = start + (long) (n * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(Math.min(wait, 50_000_000L));
        continue;
      }
      offered.incrementAndGet();
      if (pending.get() >= maxPending) {
        shed.incrementAndGet();
      } else {
        String key = keyPrefix + n;
        pending.incrementAndGet();
        dispatch(new Submission(key, tasks.apply(n).put("idempotencyKey", key).encode()));
      }
      n++;
    }
  }

  /** Stops sending new submits; those pending go on until answered or abandoned. */
  public void stop() throws InterruptedException {
    running = false;
    if (generator != null) {
      generator.join(5_000);
    }
  }

  /**
   * Waits until no submit is pending.
   *
   * @param timeout how long to wait
   * @return whether none is pending
   */
  public boolean awaitSettled(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pending.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return pending.get() == 0;
  }

  private void dispatch(Submission s) {
    waiting.add(s);
    drain();
  }

  private void drain() {
    while (!waiting.isEmpty() && inFlight.tryAcquire()) {
      Submission s = waiting.poll();
      if (s == null) {
        inFlight.release();
        return;
      }
      send(s);
    }
  }

  private void send(Submission s) {
    String api = pickApi();
    s.attempts++;
    HttpRequest req = HttpRequest.newBuilder(URI.create(api + "/api/v1/tasks")).timeout(requestTimeout)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(s.body)).build();
    http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((r, err) -> {
      inFlight.release();
      try {
        if (err != null) {
          downUntil.put(api, System.currentTimeMillis() + DOWN_FOR_MS);
          retry(s, problemCode(err));
        } else if (r.statusCode() == 200 || r.statusCode() == 202) {
          acked.put(s.key, new Acked(s.key, new JsonObject(r.body()).getString("id"), s.firstSentAtMs,
              System.currentTimeMillis(), s.attempts));
          settle(s);
        } else if (r.statusCode() >= 500 || r.statusCode() == 408 || r.statusCode() == 429) {
          retry(s, errorCode(r));
        } else {
          rejected.incrementAndGet();
          rejections.add(r.statusCode() + " " + r.body());
          settle(s);
        }
      } finally {
        drain();
      }
    });
  }

  private void settle(Submission s) {
    if (s.attempts > 1) {
      retried.incrementAndGet();
    }
    pending.decrementAndGet();
  }

  private void retry(Submission s, String code) {
    refusals.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
    if (System.currentTimeMillis() - s.firstSentAtMs > retryForMs) {
      gaveUp.incrementAndGet();
      settle(s);
      return;
    }
    long backoff = Math.min(1_000, 50L << Math.min(s.attempts, 5));
    timers.schedule(() -> dispatch(s), backoff, TimeUnit.MILLISECONDS);
  }

  private static String problemCode(Throwable err) {
    Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
        ? err.getCause() : err;
    if (t instanceof java.net.http.HttpTimeoutException) {
      return "TIMEOUT";
    }
    if (t instanceof java.net.ConnectException) {
      return "CONNECT";
    }
    return t.getClass().getSimpleName();
  }

  private static String errorCode(HttpResponse<String> r) {
    try {
      return new JsonObject(r.body()).getJsonObject("error").getString("code");
    } catch (RuntimeException e) {
      return "HTTP_" + r.statusCode();
    }
  }

  /** The next node in turn that did not fail a moment ago (or simply the next, when all did). */
  private String pickApi() {
    List<String> all = apis;
    long now = System.currentTimeMillis();
    for (int i = 0; i < all.size(); i++) {
      String api = all.get(Math.floorMod(turn.getAndIncrement(), all.size()));
      if (downUntil.getOrDefault(api, 0L) <= now) {
        return api;
      }
    }
    return all.get(Math.floorMod(turn.getAndIncrement(), all.size()));
  }

  /** @return the acknowledged submits so far, by idempotency key */
  public Map<String, Acked> acked() {
    return new TreeMap<>(acked);
  }

  /** @return the answers of submits refused for good (at most the first 20) */
  public List<String> rejections() {
    synchronized (rejections) {
      return List.copyOf(rejections.subList(0, Math.min(20, rejections.size())));
    }
  }

  /** @return the counters so far */
  public Stats stats() {
    Map<String, Long> r = new TreeMap<>();
    refusals.forEach((k, v) -> r.put(k, v.get()));
    return new Stats(offered.get(), acked.size(), retried.get(), r, gaveUp.get(), rejected.get(), shed.get(),
        pending.get());
  }

  /** Stops the load and abandons what is pending. */
  @Override
  public void close() throws InterruptedException {
    stop();
    timers.shutdownNow();
  }
}
