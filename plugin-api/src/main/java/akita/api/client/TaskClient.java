package akita.api.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * A client of the task service's public event-bus RPC, for JVM services that join the Akita cluster with a
 * clustered {@link Vertx} (same cluster name and Hazelcast settings as the nodes). Every node answers the
 * addresses and forwards to the leader, so a client needs no node address.
 *
 * <p>Tasks are JSON objects in the shape of the REST API ({@code POST /api/v1/tasks}, {@code GET
 * /api/v1/tasks/{id}}). Every method returns a future that fails with a {@link TaskClientException} carrying an
 * HTTP-like status and a stable code, such as 400 {@link TaskClientException#INVALID_TASK}, 404
 * {@link TaskClientException#TASK_NOT_FOUND}, 409 {@link TaskClientException#TASK_FINISHED} or 503
 * {@link TaskClientException#NO_LEADER} / {@link TaskClientException#UNAVAILABLE}.
 *
 * <pre>{@code
 * TaskClient tasks = new TaskClient(clusteredVertx);
 * tasks.submit(new JsonObject().put("type", "echo").put("payload", new JsonObject().put("hello", "world")))
 *     .compose(task -> tasks.await(task.getString("id"), Duration.ofMinutes(1)))
 *     .onSuccess(task -> System.out.println(task.getString("state") + " " + task.getJsonObject("result")))
 *     .onFailure(err -> System.err.println(err));
 * }</pre>
 *
 * <p>A client is safe to use from any thread. Its first {@link #submit} registers one event-bus consumer, the
 * client's own notify address, to which the leader sends each task submitted through it once the task has
 * ended (batched): so {@link #await} costs no polling and no subscription per task. Call {@link #close()} when
 * done with the client, to remove that consumer.
 *
 * <p>Submits made on an event loop are sent together: those made in one turn of the loop (before it returns to
 * its queue) travel as one {@link #SUBMIT_BATCH} request, which the leader stores in one write; each caller
 * still gets its own task or error. {@link #submitAll} batches explicitly, from any thread. Submits go to the
 * leader's node directly ({@link #SUBMIT_AT_LEADER}, {@link #SUBMIT_BATCH_AT_LEADER}) and, during an election,
 * to any node.
 */
public final class TaskClient {

  // The addresses below must match akita.node.tasks.TaskAddresses in the platform (this module cannot depend on
  // it); platform's TaskClientAddressesTest checks that they do.

  /** Request/reply: submit a task. Body: the task. Reply: the stored task, with {@code "created"}. */
  public static final String SUBMIT = "akita.tasks.submit";
  /**
   * Request/reply: submit up to {@link #MAX_BATCH} tasks at once, stored together. Body: {@code {"tasks": [task,
   * ...]}}. Reply: {@code {"tasks": [...]}} in the same order, each the stored task or {@code {"error":
   * {"status", "code", "message"}}}.
   */
  public static final String SUBMIT_BATCH = "akita.tasks.submit.batch";
  /**
   * Request/reply: {@link #SUBMIT}, answered only on the node whose scheduler leads, which spares the request the
   * hop through another node. With no leader (an election), it fails at once with no handler; the client then
   * sends to {@link #SUBMIT}, which waits for one.
   */
  public static final String SUBMIT_AT_LEADER = "akita.tasks.submit.at-leader";
  /** Request/reply: {@link #SUBMIT_BATCH}, answered only on the leader's node, as {@link #SUBMIT_AT_LEADER}. */
  public static final String SUBMIT_BATCH_AT_LEADER = "akita.tasks.submit.batch.at-leader";
  /** The most tasks one {@link #SUBMIT_BATCH} request may carry. */
  public static final int MAX_BATCH = 1_000;
  /** Request/reply: read a task. Body: {@code {"id"}}. Reply: the task. */
  public static final String GET = "akita.tasks.get";
  /** Request/reply: list tasks, newest first. Body: the query. Reply: {@code {"tasks", "nextCursor"}}. */
  public static final String LIST = "akita.tasks.list";
  /** Request/reply: cancel a task. Body: {@code {"id", "reason"?}}. Reply: the task. */
  public static final String CANCEL = "akita.tasks.cancel";
  /**
   * Published, cluster-wide: the state changes of all tasks, a batch per message, in order. Body: {@code
   * {"events": [{"id", "taskType", "from", "state", "attempt", "nodeId", "reason", "submittedAt", "at",
   * "error"?}]}}. A hint, with no delivery guarantee; the ledger is the durable stream.
   */
  public static final String EVENTS = "akita.tasks.events";

  /**
   * The prefix of clients' notify addresses. A task's {@code "notify"} field names an address that the leader
   * sends {@code {"tasks": [task, ...]}} once the tasks have ended; {@link #submit} sets it to this client's.
   */
  public static final String NOTIFY_PREFIX = "akita.tasks.client.";

  /**
   * The prefix of notify addresses that take ended tasks as JSON text ({@link JsonTextCodec}): the leader sends
   * them the tasks as it stored them, without encoding them again, and the receiving Vert.x must have the codec
   * registered. {@link #submit} uses an address under it; any other address gets a plain {@code JsonObject}.
   */
  public static final String TEXT_NOTIFY_PREFIX = NOTIFY_PREFIX + "text.";

  /** The states in which a task has ended and never changes again. */
  public static final Set<String> TERMINAL_STATES = Set.of("COMPLETED", "FAILED", "CANCELLED");

  /**
   * How long a request waits for its reply by default: longer than a node waits for the leader's scheduler,
   * so the node's own answer (such as 503 NO_LEADER) arrives first.
   */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(35);

  /** How often {@link #await} polls a task that was not submitted through this client. */
  static final long POLL_MS = 250;
  /**
   * When {@link #await} first polls a task submitted through this client (whose end is sent to the client),
   * and how often after that: only in case the notification was lost with a leader that died.
   */
  static final long OWN_POLL_MS = 5_000;
  /** How many ended tasks the client remembers for an {@link #await} that comes after the end. */
  static final int REMEMBERED = 10_000;

  private final Vertx vertx;
  private final long requestTimeoutMs;
  private final String notifyAddress = TEXT_NOTIFY_PREFIX + UUID.randomUUID();
  private final Object lock = new Object();
  /** Guarded by {@link #lock}: the notify consumer, once registering. */
  private MessageConsumer<JsonObject> notifyConsumer;
  private Future<Void> registered;
  /** Guarded by {@link #lock}: tasks submitted through this client whose end it has not seen. */
  private final Set<String> open = new HashSet<>();
  /** Guarded by {@link #lock}: the waiters of each awaited task. */
  private final Map<String, List<Waiter>> waiters = new HashMap<>();
  /** Guarded by {@link #lock}: tasks that ended with no waiter yet, oldest first. */
  private final LinkedHashMap<String, JsonObject> ended = new LinkedHashMap<>(256, 0.75f, false) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, JsonObject> eldest) {
      return size() > REMEMBERED;
    }
  };

  /**
   * A client with the {@link #DEFAULT_REQUEST_TIMEOUT}.
   *
   * @param vertx a clustered Vert.x that joined the Akita cluster (a non-clustered one reaches only nodes
   *     running in the same Vert.x); the client never closes it
   */
  public TaskClient(Vertx vertx) {
    this(vertx, DEFAULT_REQUEST_TIMEOUT);
  }

  /**
   * A client with its own request timeout.
   *
   * @param vertx a clustered Vert.x that joined the Akita cluster; the client never closes it
   * @param requestTimeout how long each request waits for its reply before failing with 503
   *     {@link TaskClientException#UNAVAILABLE}; positive
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public TaskClient(Vertx vertx, Duration requestTimeout) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.requestTimeoutMs = Objects.requireNonNull(requestTimeout, "requestTimeout").toMillis();
    if (requestTimeoutMs <= 0) {
      throw new IllegalArgumentException("the request timeout must be positive, not " + requestTimeout);
    }
    JsonTextCodec.register(vertx); // the leader sends ended tasks to the notify address as JSON text
  }

  /**
   * Submits a task. A repeated submit with the same {@code idempotencyKey} returns the first task, with
   * {@code "created": false}.
   *
   * @param task the task, as for {@code POST /api/v1/tasks}: {@code {"type", "payload"?, "priority"?, ...}}
   * @return the stored task (with its {@code "id"} and {@code "created"}); fails with 400
   *     {@link TaskClientException#INVALID_TASK} naming the bad field, or 503 {@link TaskClientException#NO_LEADER}
   * @throws NullPointerException if the task is {@code null}
   */
  public Future<JsonObject> submit(JsonObject task) {
    Objects.requireNonNull(task, "task");
    JsonObject body = task.containsKey("notify") ? task : task.copy().put("notify", notifyAddress);
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      return listening().compose(v -> submitRequest(false, body)).onSuccess(t -> submitted(body, t));
    }
    // On an event loop: the submits made before it gets back to its queue travel as one batch request.
    Promise<JsonObject> answer = Promise.promise();
    Batch batch = context.get(this);
    if (batch == null || batch.items.size() >= MAX_BATCH) {
      Batch fresh = new Batch();
      context.put(this, fresh);
      context.runOnContext(v -> {
        if (context.get(this) == fresh) {
          context.remove(this);
        }
        send(fresh);
      });
      batch = fresh;
    }
    batch.items.add(body);
    batch.answers.add(answer);
    return answer.future().onSuccess(t -> submitted(body, t));
  }

  /** Submits made on one event loop in one turn of it, sent together. */
  private static final class Batch {
    final List<JsonObject> items = new ArrayList<>();
    final List<Promise<JsonObject>> answers = new ArrayList<>();
  }

  private void send(Batch batch) {
    if (batch.items.size() == 1) {
      listening().compose(v -> submitRequest(false, batch.items.get(0))).onComplete(batch.answers.get(0));
      return;
    }
    listening().compose(v -> submitRequest(true, new JsonObject().put("tasks", new JsonArray(
        new ArrayList<>(batch.items))))).onComplete(ar -> {
          JsonArray results = ar.succeeded() ? ar.result().getJsonArray("tasks") : null;
          for (int i = 0; i < batch.answers.size(); i++) {
            Promise<JsonObject> p = batch.answers.get(i);
            Object r = results != null && i < results.size() ? results.getValue(i) : null;
            if (ar.failed()) {
              p.fail(ar.cause());
            } else if (r instanceof JsonObject t && !(t.getValue("error") instanceof JsonObject)) {
              p.complete(t);
            } else {
              p.fail(itemError(r));
            }
          }
        });
  }

  private static TaskClientException itemError(Object item) {
    if (item instanceof JsonObject o && o.getValue("error") instanceof JsonObject e) {
      return new TaskClientException(new Error(e.getInteger("status", 500), e.getString("code",
          TaskClientException.INTERNAL), e.getString("message", "")));
    }
    return new TaskClientException(new Error(500, TaskClientException.INTERNAL, "the service did not answer this "
        + "task of a batch"));
  }

  /**
   * Submits several tasks in one request, stored together (cheaper than one {@link #submit} each; submits made
   * on an event loop in one turn of it are batched like this anyway).
   *
   * @param tasks 1 to {@link #MAX_BATCH} tasks, each as for {@link #submit}
   * @return one outcome per task, in order: the stored task, or {@code {"error": {"status", "code",
   *     "message"}}} for a task that was refused (the others are stored all the same); the future fails as a
   *     whole only when the request did (400 {@code INVALID_BATCH}, 503 ...)
   * @throws NullPointerException if the list or a task is {@code null}
   * @throws IllegalArgumentException if the list is empty or longer than {@link #MAX_BATCH}
   */
  public Future<List<JsonObject>> submitAll(List<JsonObject> tasks) {
    Objects.requireNonNull(tasks, "tasks");
    if (tasks.isEmpty() || tasks.size() > MAX_BATCH) {
      throw new IllegalArgumentException("submit 1 to " + MAX_BATCH + " tasks at once, not " + tasks.size());
    }
    List<JsonObject> bodies = new ArrayList<>(tasks.size());
    for (JsonObject task : tasks) {
      Objects.requireNonNull(task, "task");
      bodies.add(task.containsKey("notify") ? task : task.copy().put("notify", notifyAddress));
    }
    return listening().compose(v -> submitRequest(true, new JsonObject().put("tasks", new JsonArray(
        new ArrayList<>(bodies))))).map(reply -> {
          JsonArray results = reply.getJsonArray("tasks", new JsonArray());
          List<JsonObject> out = new ArrayList<>(bodies.size());
          for (int i = 0; i < bodies.size(); i++) {
            Object r = i < results.size() ? results.getValue(i) : null;
            JsonObject t = r instanceof JsonObject o ? o : new JsonObject().put("error", new JsonObject()
                .put("status", 500).put("code", TaskClientException.INTERNAL).put("message", "no answer"));
            if (!(t.getValue("error") instanceof JsonObject)) {
              submitted(bodies.get(i), t);
            }
            out.add(t);
          }
          return out;
        });
  }

  /** Notes a task submitted through this client whose end will be sent here. */
  private void submitted(JsonObject body, JsonObject t) {
    if (notifyAddress.equals(body.getValue("notify")) && t.getValue("id") instanceof String id
        && !TERMINAL_STATES.contains(String.valueOf(t.getValue("state")))) {
      synchronized (lock) {
        if (!ended.containsKey(id)) {
          open.add(id);
        }
      }
    }
  }

  /**
   * The leader reports an ended task as it stores it, without the fields that have no value or their default
   * value; puts those back, so a task looks the same whether it was reported or read. Fields whose value is
   * null stay absent (a getter returns {@code null} either way).
   */
  static void wholeShape(JsonObject t) {
    for (String list : new String[] {"requiredCapabilities", "affinity", "antiAffinity", "failedOn",
        "attemptHistory"}) {
      if (!t.containsKey(list)) {
        t.put(list, new JsonArray());
      }
    }
    if (!t.containsKey("labels")) {
      t.put("labels", new JsonObject());
    }
    for (String zero : new String[] {"priority", "attempts", "readyAt"}) {
      if (!t.containsKey(zero)) {
        t.put(zero, 0);
      }
    }
    if (!t.containsKey("version")) {
      t.put("version", 1);
    }
    if (!t.containsKey("updatedAt") && t.getValue("submittedAt") != null) {
      t.put("updatedAt", t.getValue("submittedAt"));
    }
  }

  /** Registers the notify consumer once; later calls share the registration. */
  private Future<Void> listening() {
    synchronized (lock) {
      if (registered == null) {
        notifyConsumer = vertx.eventBus().consumer(notifyAddress, this::onNotify);
        registered = notifyConsumer.completion();
      }
      return registered;
    }
  }

  private void onNotify(Message<JsonObject> m) {
    if (m.body() == null || !(m.body().getValue("tasks") instanceof JsonArray tasks)) {
      return;
    }
    for (Object o : tasks) {
      if (!(o instanceof JsonObject t) || !(t.getValue("id") instanceof String id)) {
        continue;
      }
      wholeShape(t);
      List<Waiter> ws;
      synchronized (lock) {
        open.remove(id);
        ws = waiters.remove(id);
        if (ws == null) {
          ended.put(id, t);
        }
      }
      if (ws != null) {
        ws.forEach(w -> w.ended(t));
      }
    }
  }

  /**
   * Removes this client's notify consumer. Waiting {@link #await}s fall back to reading their tasks.
   *
   * @return completed once the consumer is removed
   */
  public Future<Void> close() {
    synchronized (lock) {
      if (notifyConsumer == null) {
        return Future.succeededFuture();
      }
      MessageConsumer<JsonObject> c = notifyConsumer;
      notifyConsumer = null;
      registered = null;
      open.clear();
      return c.unregister();
    }
  }

  /**
   * Reads a task, finished or not.
   *
   * @param id the task id
   * @return the task; fails with 404 {@link TaskClientException#TASK_NOT_FOUND}
   * @throws NullPointerException if the id is {@code null}
   */
  public Future<JsonObject> get(String id) {
    return request(GET, new JsonObject().put("id", Objects.requireNonNull(id, "id")));
  }

  /**
   * Lists tasks, newest first, a page at a time.
   *
   * @param query the filters and paging, all optional: {@code {"state", "type", "node", "limit", "cursor"}};
   *     {@code null} for the first page of all tasks. For the next page, pass the previous reply's
   *     {@code "nextCursor"} as {@code "cursor"}.
   * @return {@code {"tasks": [...], "nextCursor"}}, {@code nextCursor} being {@code null} on the last page
   */
  public Future<JsonObject> list(JsonObject query) {
    return request(LIST, query == null ? new JsonObject() : query);
  }

  /**
   * Cancels a task that has not ended; a running attempt is told to stop.
   *
   * @param id the task id
   * @param reason why, for the record; {@code null} for the service's default
   * @return the cancelled task; fails with 404 {@link TaskClientException#TASK_NOT_FOUND} or 409
   *     {@link TaskClientException#TASK_FINISHED}
   * @throws NullPointerException if the id is {@code null}
   */
  public Future<JsonObject> cancel(String id, String reason) {
    JsonObject body = new JsonObject().put("id", Objects.requireNonNull(id, "id"));
    if (reason != null) {
      body.put("reason", reason);
    }
    return request(CANCEL, body);
  }

  /**
   * Waits until a task has ended ({@link #TERMINAL_STATES}), whether it completed, failed or was cancelled. A
   * task submitted through this client is reported to it by the leader when it ends; it is read only if no
   * report came within {@value #OWN_POLL_MS} ms (a report can be lost with a leader that died). Any other task
   * is read every {@value #POLL_MS} ms. Giving up does not cancel the task.
   *
   * @param id the task id
   * @param timeout how long to wait; positive
   * @return the ended task (a field with no value may be absent rather than null): check its {@code "state"},
   *     then its {@code "result"} or {@code "error"}. Fails with
   *     504 {@link TaskClientException#TIMEOUT} when the timeout passes first, and with the error of a read
   *     that cannot succeed by retrying (such as 404 {@link TaskClientException#TASK_NOT_FOUND}); reads that
   *     fail with 503 are retried until the timeout.
   * @throws NullPointerException if the id or the timeout is {@code null}
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public Future<JsonObject> await(String id, Duration timeout) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("the timeout must be positive, not " + timeout);
    }
    Context context = vertx.getOrCreateContext();
    Waiter w = new Waiter(id, timeout.toMillis(), context);
    boolean own;
    synchronized (lock) {
      JsonObject done = ended.remove(id);
      if (done != null) {
        return Future.succeededFuture(done);
      }
      own = open.contains(id);
      waiters.computeIfAbsent(id, k -> new ArrayList<>(1)).add(w);
    }
    context.runOnContext(v -> w.start(own));
    return w.done.future();
  }

  /** One {@link #await}: the time limit and the reads. Its state is touched only on its context. */
  private final class Waiter {
    private final String id;
    private final long timeoutMs;
    private final Context context;
    private final Promise<JsonObject> done = Promise.promise();
    private long pollTimer = -1;
    private long limitTimer = -1;
    private boolean reading;

    Waiter(String id, long timeoutMs, Context context) {
      this.id = id;
      this.timeoutMs = timeoutMs;
      this.context = context;
    }

    void start(boolean own) {
      if (done.future().isComplete()) {
        return;
      }
      limitTimer = vertx.setTimer(timeoutMs, t -> finish(null, new TaskClientException(new Error(504,
          TaskClientException.TIMEOUT, "task " + id + " did not end within " + timeoutMs + " ms"))));
      if (own) {
        pollTimer = vertx.setTimer(OWN_POLL_MS, t -> {
          read();
          pollTimer = vertx.setPeriodic(OWN_POLL_MS, p -> read());
        });
      } else {
        read();
        pollTimer = vertx.setPeriodic(POLL_MS, t -> read());
      }
    }

    /** The leader reported the end (on the event bus's thread). */
    void ended(JsonObject task) {
      context.runOnContext(v -> finish(task, null));
    }

    private void read() {
      if (done.future().isComplete() || reading) {
        return;
      }
      reading = true;
      get(id).onComplete(ar -> {
        reading = false;
        if (ar.succeeded()) {
          if (TERMINAL_STATES.contains(String.valueOf(ar.result().getValue("state")))) {
            finish(ar.result(), null);
          }
        } else if (ar.cause() instanceof TaskClientException e && e.status() < 500) {
          finish(null, e);
        }
      });
    }

    private void finish(JsonObject task, Throwable err) {
      if (done.future().isComplete()) {
        return;
      }
      vertx.cancelTimer(limitTimer);
      vertx.cancelTimer(pollTimer);
      synchronized (lock) {
        List<Waiter> ws = waiters.get(id);
        if (ws != null && ws.remove(this) && ws.isEmpty()) {
          waiters.remove(id);
        }
        if (task != null) {
          open.remove(id);
        }
      }
      if (err == null) {
        done.tryComplete(task);
      } else {
        done.tryFail(err);
      }
    }
  }

  /** Submits at the leader's node, or, while there is none (no handler), at any node, which waits for one. */
  private Future<JsonObject> submitRequest(boolean batch, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(batch ? SUBMIT_BATCH_AT_LEADER : SUBMIT_AT_LEADER, body,
            new DeliveryOptions().setSendTimeout(requestTimeoutMs))
        .map(Message::body)
        .recover(err -> err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
            ? request(batch ? SUBMIT_BATCH : SUBMIT, body)
            : Future.failedFuture(new TaskClientException(Error.from(err), err)));
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(requestTimeoutMs))
        .map(Message::body)
        .recover(err -> Future.failedFuture(new TaskClientException(Error.from(err), err)));
  }

  /**
   * A failure of the task service as a value.
   *
   * @param status the HTTP-like status: 400, 404, 409, 503, ...
   * @param code the stable upper-case code, such as {@link TaskClientException#INVALID_TASK}
   * @param message what went wrong, for a person
   */
  public record Error(int status, String code, String message) {

    /**
     * Reads the failure of a request on the task service's addresses. The service fails a request with a
     * {@link ReplyException} whose failure code is the status and whose message is {@code {"code",
     * "message"}} JSON; no handler and a timeout become 503 {@link TaskClientException#UNAVAILABLE}.
     *
     * @param failure the failure of a request future
     * @return the error; 500 {@link TaskClientException#INTERNAL} for a failure of another kind
     */
    public static Error from(Throwable failure) {
      if (failure instanceof TaskClientException e) {
        return e.error();
      }
      if (failure instanceof ReplyException re) {
        if (re.failureType() == ReplyFailure.NO_HANDLERS) {
          return new Error(503, TaskClientException.UNAVAILABLE, "no node of the task service is listening on "
              + "this event bus (is this Vert.x clustered and in the Akita cluster?)");
        }
        if (re.failureType() == ReplyFailure.TIMEOUT) {
          return new Error(503, TaskClientException.UNAVAILABLE, "the task service did not answer in time");
        }
        String text = re.getMessage();
        int status = re.failureCode() > 0 ? re.failureCode() : 500;
        if (text != null && text.startsWith("{")) {
          try {
            JsonObject o = new JsonObject(text);
            Object code = o.getValue("code");
            Object message = o.getValue("message");
            return new Error(status, code instanceof String c ? c : TaskClientException.INTERNAL,
                message instanceof String s ? s : text);
          } catch (DecodeException e) {
            // not the service's JSON: fall through
          }
        }
        return new Error(status, TaskClientException.INTERNAL, String.valueOf(text));
      }
      return new Error(500, TaskClientException.INTERNAL, String.valueOf(failure == null ? null
          : failure.getMessage()));
    }
  }

  /**
   * A request of {@link TaskClient} that failed. {@link #status()} is an HTTP-like status and {@link #code()} a
   * stable upper-case code, the same ones the REST API answers with; {@link #getMessage()} is for people.
   */
  public static final class TaskClientException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** 400: the submitted task (or a request body) is not valid; the message names the field. */
    public static final String INVALID_TASK = "INVALID_TASK";
    /** 404: no task has that id. */
    public static final String TASK_NOT_FOUND = "TASK_NOT_FOUND";
    /** 409: the task already ended, so it cannot be cancelled. */
    public static final String TASK_FINISHED = "TASK_FINISHED";
    /** 503: the cluster has no leader scheduling tasks right now; retry shortly. */
    public static final String NO_LEADER = "NO_LEADER";
    /** 503: no node answered: none is listening on the address, or the request timed out. */
    public static final String UNAVAILABLE = "UNAVAILABLE";
    /** 504: {@link TaskClient#await} gave up before the task ended; the task itself goes on. */
    public static final String TIMEOUT = "TIMEOUT";
    /** 500: anything else. */
    public static final String INTERNAL = "INTERNAL";

    /** The HTTP-like status. */
    private final int status;
    /** The stable code. */
    private final String code;

    /**
     * Creates the exception for an error.
     *
     * @param error the status, code and message
     */
    public TaskClientException(Error error) {
      this(error, null);
    }

    /**
     * Creates the exception for an error, keeping its cause.
     *
     * @param error the status, code and message
     * @param cause the underlying failure, or {@code null}
     */
    public TaskClientException(Error error, Throwable cause) {
      super(error.message(), cause);
      this.status = error.status();
      this.code = error.code();
    }

    /**
     * The error as a value.
     *
     * @return the status, code and message
     */
    public Error error() {
      return new Error(status, code, getMessage());
    }

    /**
     * The HTTP-like status, such as 400, 404, 409 or 503.
     *
     * @return the status
     */
    public int status() {
      return status;
    }

    /**
     * The stable upper-case code, such as {@link #INVALID_TASK}.
     *
     * @return the code
     */
    public String code() {
      return code;
    }

    @Override
    public String toString() {
      return getClass().getName() + ": " + status + " " + code + ": " + getMessage();
    }
  }
}
