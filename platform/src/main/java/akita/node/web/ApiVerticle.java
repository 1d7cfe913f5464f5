package akita.node.web;

import akita.node.NodeAddresses;
import akita.node.NodeContext;
import akita.node.bus.BusError;
import akita.node.cluster.ClusterAddresses;
import akita.node.config.NodeConfig;
import akita.node.ledger.LedgerAddresses;
import akita.node.logging.LogBuffer;
import akita.node.metrics.MetricsAddresses;
import akita.node.plugin.PluginAddresses;
import akita.node.resources.ResourcesAddresses;
import akita.node.tasks.TaskGateway;
import ch.qos.logback.classic.Level;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP door: REST under {@code /api/v1}, {@code /health}, and the web console at {@code /}. Every
 * failure, including unknown routes, bad JSON and oversized bodies, answers
 * {@code {"error": {"code", "message"}}} with a fitting status. Contract: docs/rest.md and the OpenAPI
 * document at {@code /api/v1/openapi.json}.
 */
public final class ApiVerticle extends VerticleBase {

  /** The API's path prefix. */
  public static final String PREFIX = "/api/v1";

  private static final Logger LOG = LoggerFactory.getLogger(ApiVerticle.class);
  /** How long the API waits for a service on the event bus before answering 503. */
  private static final long BUS_TIMEOUT_MS = 10_000;
  private static final int EXPORT_PAGE = 1_000;
  private static final long VERIFY_TIMEOUT_MS = 300_000;
  /** The most resource samples one answer carries (the largest --resources-history). */
  private static final int RESOURCES_LIMIT = 10_000;
  private static final Set<String> LOG_LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

  private final NodeConfig.Api cfg;
  private final NodeContext node;
  private final HealthProbe health;
  private final TaskGateway tasks;
  private final String openApi;
  private HttpServer server;
  private Router router;

  /**
   * @param cfg the API settings
   * @param node the node this API describes
   * @param health the readiness checks
   * @param tasks the task service's door
   */
  public ApiVerticle(NodeConfig.Api cfg, NodeContext node, HealthProbe health, TaskGateway tasks) {
    this.cfg = cfg;
    this.tasks = tasks;
    this.node = node;
    this.health = health;
    this.openApi = readOpenApi();
  }

  @Override
  public Future<?> start() {
    router = router();
    return vertx.createHttpServer(new HttpServerOptions().setHost(cfg.host()).setPort(cfg.port()))
        .requestHandler(router)
        .listen()
        .onSuccess(s -> server = s)
        .recover(err -> Future.failedFuture(new IllegalStateException("the API cannot listen on " + cfg.host() + ":"
            + cfg.port() + ": " + err.getMessage() + " (is another node or program using that port? set --api-port)",
            err)));
  }

  /** @return the port the API listens on (useful when configured as 0) */
  public int actualPort() {
    return server.actualPort();
  }

  /** @return the routes, so a test can check them against the OpenAPI document */
  java.util.List<io.vertx.ext.web.Route> routes() {
    return router.getRoutes();
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.get("/health").handler(this::health);
    if (cfg.secured()) {
      // Metrics name the cluster's nodes, task types and load: as private as the API (a scraper sends the key
      // as a bearer token, docs/observability.md).
      router.route("/metrics").handler(new ApiKeyAuth(cfg.apiKeyHeader(), cfg.apiKeys()));
    }
    router.get("/metrics").handler(this::metrics);

    if (cfg.secured()) {
      // Before any body is read: an unauthenticated client cannot make the node buffer a large upload.
      router.route(PREFIX + "/*").handler(new ApiKeyAuth(cfg.apiKeyHeader(), cfg.apiKeys()));
    }
    // Plugin uploads get their own, larger limit; every other body the general one (a BodyHandler skips a
    // request whose body an earlier one already read).
    router.post(PREFIX + "/plugins").handler(BodyHandler.create(false).setBodyLimit(cfg.maxPluginBytes()));
    router.route(PREFIX + "/*").handler(BodyHandler.create(false).setBodyLimit(cfg.maxBodyBytes()));
    router.get(PREFIX + "/status").handler(this::status);
    router.post(PREFIX + "/shutdown").handler(this::shutdown);
    router.get(PREFIX + "/cluster").handler(this::cluster);
    router.get(PREFIX + "/nodes/:id").handler(this::node);
    router.get(PREFIX + "/nodes/:id/resources").handler(this::resources);
    router.post(PREFIX + "/nodes/:id/drain").handler(ctx -> drain(ctx, true));
    router.post(PREFIX + "/nodes/:id/undrain").handler(ctx -> drain(ctx, false));
    router.post(PREFIX + "/tasks").handler(this::submitTask);
    router.post(PREFIX + "/tasks/batch").handler(this::submitTasks);
    router.get(PREFIX + "/tasks").handler(this::listTasks);
    router.get(PREFIX + "/tasks/:id").handler(ctx -> relay(ctx, tasks.get(ctx.pathParam("id")), 200));
    router.get(PREFIX + "/tasks/:id/attempts").handler(ctx -> tasks.get(ctx.pathParam("id"))
        .onSuccess(t -> Errors.json(ctx, 200, new JsonObject().put("id", t.getString("id"))
            .put("attempts", t.getJsonArray("attemptHistory"))))
        .onFailure(err -> ctx.fail(ApiError.from(BusError.from(err)))));
    router.post(PREFIX + "/tasks/:id/cancel").handler(this::cancelTask);
    router.get(PREFIX + "/events").handler(EventStream::handle);
    router.get(PREFIX + "/ledger").handler(this::ledger);
    router.get(PREFIX + "/ledger/export").handler(this::exportLedger);
    // Walking a long chain takes a while (SHA-256 of every entry): allow for it.
    router.get(PREFIX + "/ledger/verify").handler(ctx -> ask(LedgerAddresses.VERIFY, new JsonObject(),
            VERIFY_TIMEOUT_MS).onSuccess(r -> Errors.json(ctx, 200, r)).onFailure(ctx::fail));
    router.get(PREFIX + "/plugins").handler(this::plugins);
    router.post(PREFIX + "/plugins").handler(this::deployPlugin);
    router.delete(PREFIX + "/plugins/:id").handler(this::removePlugin);
    router.get(PREFIX + "/logs").handler(this::logs);
    router.get(PREFIX + "/openapi.json").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/json").end(openApi));

    // The console's files: everything outside /api, so a wrong method on an API path is a 405, not a 404.
    router.getWithRegex("^/(?!api/).*").handler(StaticHandler.create("webroot").setCachingEnabled(false));

    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> Errors.send(ctx, ApiError.NOT_FOUND,
        "no such resource: " + ctx.request().method() + " " + ctx.request().path()));
    router.errorHandler(405, ctx -> Errors.send(ctx, ApiError.METHOD_NOT_ALLOWED,
        ctx.request().method() + " is not allowed on " + ctx.request().path()));
    return router;
  }

  private void health(RoutingContext ctx) {
    health.checks().onComplete(ar -> {
      JsonObject checks = ar.succeeded() ? ar.result()
          : new JsonObject().put("probe", new JsonObject().put("ok", false).put("error", ar.cause().getMessage()));
      boolean stopping = health.stopping();
      boolean ready = !stopping && checks.stream().allMatch(e -> e.getValue() instanceof JsonObject c
          && c.getBoolean("ok", false));
      String status = stopping ? "STOPPING" : ready ? "UP" : "DOWN";
      ctx.response().setStatusCode(ready ? 200 : 503).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("status", status).put("live", true).put("ready", ready)
              .put("nodeId", node.id()).put("checks", checks).encode());
    });
  }

  /** The node's meters in the Prometheus text format 0.0.4, or OpenMetrics when the scraper asks for it. */
  private void metrics(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    String format = accept != null && accept.contains("application/openmetrics-text") ? "openmetrics" : "prometheus";
    ask(MetricsAddresses.SCRAPE, new JsonObject().put("format", format))
        .onSuccess(r -> ctx.response().putHeader("Content-Type", r.getString("contentType")).end(r.getString("text")))
        .onFailure(ctx::fail);
  }

  private void status(RoutingContext ctx) {
    Future.all(ask(ClusterAddresses.LEADER_STATE, new JsonObject()), ask(PluginAddresses.LOCAL, new JsonObject()))
        .onSuccess(all -> status(ctx, all.<JsonObject>resultAt(0).getBoolean("isLeader", false),
            all.<JsonObject>resultAt(1).getJsonArray("taskTypes")))
        .onFailure(ctx::fail);
  }

  private void status(RoutingContext ctx, boolean isLeader, io.vertx.core.json.JsonArray taskTypes) {
    JsonObject body = new JsonObject()
        .put("nodeId", node.id())
        .put("name", node.name())
        .put("cluster", node.cluster())
        .put("version", node.version())
        .put("uptimeMs", System.currentTimeMillis() - node.startedAtMs())
        .put("startedAt", java.time.Instant.ofEpochMilli(node.startedAtMs()).toString())
        .put("roles", node.rolesJson())
        .put("isLeader", isLeader)
        .put("capabilities", new io.vertx.core.json.JsonArray(java.util.List.copyOf(node.capabilities())))
        .put("taskTypes", taskTypes)
        .put("run", node.run())
        .put("apiSecured", cfg.secured())
        .put("state", health.stopping() ? "STOPPING" : "RUNNING");
    Errors.json(ctx, 200, body);
  }

  private void cluster(RoutingContext ctx) {
    Future.all(ask(ClusterAddresses.VIEW, new JsonObject()), ask(ClusterAddresses.LEADER_STATE, new JsonObject()))
        .onSuccess(all -> {
          JsonObject view = all.resultAt(0);
          JsonObject leader = all.resultAt(1);
          Errors.json(ctx, 200, new JsonObject()
              .put("cluster", node.cluster())
              .put("leader", leader.getJsonObject("leader"))
              .put("term", leader.getLong("term"))
              .put("quorum", leader.getJsonObject("quorum"))
              .put("nodes", view.getJsonArray("nodes")));
        })
        .onFailure(ctx::fail);
  }

  private void node(RoutingContext ctx) {
    ask(ClusterAddresses.VIEW, new JsonObject().put("nodeId", ctx.pathParam("id")))
        .onSuccess(n -> Errors.json(ctx, 200, n))
        .onFailure(ctx::fail);
  }

  /** A node's latest resource sample and history, asked of that node over the event bus. */
  private void resources(RoutingContext ctx) {
    int limit = Bodies.intParam(ctx, "limit", RESOURCES_LIMIT, 0, RESOURCES_LIMIT);
    ask(ClusterAddresses.VIEW, new JsonObject().put("nodeId", ctx.pathParam("id")))
        .compose(n -> ask(ResourcesAddresses.history(n.getString("id")), new JsonObject().put("limit", limit))
            .recover(err -> Future.failedFuture(err instanceof ApiException e && e.error().status() == 503
                ? ApiError.NODE_UNREACHABLE.with("node " + n.getString("name") + " (" + n.getString("state")
                    + ") does not answer: " + e.getMessage()) : err)))
        .onSuccess(r -> Errors.json(ctx, 200, r))
        .onFailure(ctx::fail);
  }

  private void drain(RoutingContext ctx, boolean draining) {
    String wanted = ctx.pathParam("id");
    requireLeader()
        .compose(v -> ask(ClusterAddresses.VIEW, new JsonObject().put("nodeId", wanted)))
        .compose(n -> ask(ClusterAddresses.LEADER_DRAIN,
            new JsonObject().put("nodeId", n.getString("id")).put("draining", draining)))
        .onSuccess(reply -> {
          JsonObject info = reply.getJsonObject("node", new JsonObject());
          Errors.json(ctx, 200, new JsonObject().put("nodeId", info.getString("id")).put("name", info.getString("name"))
              .put("draining", info.getBoolean("draining")).put("term", reply.getLong("term")));
        })
        .onFailure(ctx::fail);
  }

  /**
   * Succeeds when this node knows a leader; otherwise fails with 503 NO_LEADER saying why. Every request that
   * only the leader may carry out (drain, task submits) passes through it, so a minority without a
   * quorum refuses work instead of accepting it.
   */
  private Future<JsonObject> requireLeader() {
    return ask(ClusterAddresses.LEADER_STATE, new JsonObject()).compose(s -> {
      if (s.getJsonObject("leader") != null) {
        return Future.succeededFuture(s.getJsonObject("leader"));
      }
      JsonObject q = s.getJsonObject("quorum");
      String why = q.getBoolean("ok") ? "no leader is elected yet; retry in a moment"
          : "no quorum: " + q.getInteger("present") + " of " + q.getInteger("expected") + " expected members present, "
              + q.getInteger("needed") + " needed";
      return Future.failedFuture(ApiError.NO_LEADER.with("the cluster has no leader (" + why + ")"));
    });
  }

  private Future<JsonObject> ask(String address, JsonObject body) {
    return ask(address, body, BUS_TIMEOUT_MS);
  }

  private Future<JsonObject> ask(String address, JsonObject body, long timeoutMs) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(m -> m.body())
        .recover(err -> Future.failedFuture(ApiError.from(BusError.from(err))));
  }

  private void submitTask(RoutingContext ctx) {
    JsonObject body = Bodies.jsonObject(ctx);
    if (body.isEmpty()) {
      throw ApiError.INVALID_TASK.with("send the task as a JSON object, e.g. {\"type\": \"echo\", \"payload\": {}}");
    }
    String submitter = "api:" + ctx.request().remoteAddress().host();
    requireLeader()
        .compose(v -> tasks.submit(body, submitter).recover(err -> Future.failedFuture(ApiError.from(BusError.from(err)))))
        .onSuccess(t -> Errors.json(ctx, t.getBoolean("created", true) ? 202 : 200, t))
        .onFailure(ctx::fail);
  }

  private void submitTasks(RoutingContext ctx) {
    JsonObject body = Bodies.jsonObject(ctx);
    if (!(body.getValue("tasks") instanceof io.vertx.core.json.JsonArray items)) {
      throw ApiError.INVALID_BATCH.with("send {\"tasks\": [task, ...]} with 1 to " + TaskGateway.MAX_BATCH
          + " tasks");
    }
    String submitter = "api:" + ctx.request().remoteAddress().host();
    requireLeader()
        .compose(v -> tasks.submitAll(items, submitter)
            .recover(err -> Future.failedFuture(ApiError.from(BusError.from(err)))))
        .onSuccess(r -> Errors.json(ctx, 200, r))
        .onFailure(ctx::fail);
  }

  private void listTasks(RoutingContext ctx) {
    JsonObject q = new JsonObject().put("limit", Bodies.intParam(ctx, "limit", 100, 1, 1000));
    String state = ctx.request().getParam("state");
    if (state != null) {
      try {
        q.put("state", akita.node.tasks.TaskState.valueOf(state.toUpperCase(Locale.ROOT)).name());
      } catch (IllegalArgumentException e) {
        throw ApiError.INVALID_PARAMETER.with("query parameter 'state' must be one of "
            + java.util.Arrays.toString(akita.node.tasks.TaskState.values()));
      }
    }
    for (String p : new String[] {"type", "node"}) {
      if (ctx.request().getParam(p) != null) {
        q.put(p, ctx.request().getParam(p));
      }
    }
    String cursor = ctx.request().getParam("cursor");
    if (cursor != null) {
      try {
        q.put("cursor", Long.parseLong(cursor));
      } catch (NumberFormatException e) {
        throw ApiError.INVALID_PARAMETER.with("query parameter 'cursor' must be the nextCursor of a previous page");
      }
    }
    relay(ctx, tasks.list(q), 200);
  }

  private void cancelTask(RoutingContext ctx) {
    JsonObject body = Bodies.jsonObject(ctx);
    Object reason = body.getValue("reason");
    if (reason != null && !(reason instanceof String)) {
      throw ApiError.BAD_REQUEST.with("'reason' must be a string");
    }
    relay(ctx, tasks.cancel(ctx.pathParam("id"), reason == null ? "cancelled through the API" : (String) reason), 200);
  }

  private void relay(RoutingContext ctx, Future<JsonObject> result, int status) {
    result.onSuccess(r -> Errors.json(ctx, status, r)).onFailure(err -> ctx.fail(ApiError.from(BusError.from(err))));
  }

  private void ledger(RoutingContext ctx) {
    JsonObject q = new JsonObject().put("limit", Bodies.intParam(ctx, "limit", 100, 1, 1000));
    String type = ctx.request().getParam("type");
    if (type != null) {
      if (!type.matches("[A-Z][A-Z0-9_]{0,63}")) {
        throw ApiError.INVALID_PARAMETER.with("query parameter 'type' must be an event type such as LEADER_ELECTED");
      }
      q.put("type", type);
    }
    if (ctx.request().getParam("subject") != null) {
      q.put("subject", ctx.request().getParam("subject"));
    }
    String since = ctx.request().getParam("since");
    if (since != null) {
      try {
        q.put("since", java.time.Instant.parse(since).toEpochMilli());
      } catch (java.time.format.DateTimeParseException e) {
        throw ApiError.INVALID_PARAMETER.with("query parameter 'since' must be an ISO-8601 time such as "
            + "2026-01-31T12:00:00Z");
      }
    }
    String cursor = ctx.request().getParam("cursor");
    if (cursor != null) {
      try {
        q.put("cursor", Long.parseLong(cursor));
      } catch (NumberFormatException e) {
        throw ApiError.INVALID_PARAMETER.with("query parameter 'cursor' must be the nextCursor of a previous page");
      }
    }
    Long after = seqParam(ctx, "after");
    if (after != null) {
      q.put("after", after);
    }
    ask(LedgerAddresses.QUERY, q).onSuccess(r -> Errors.json(ctx, 200, r)).onFailure(ctx::fail);
  }

  private static Long seqParam(RoutingContext ctx, String name) {
    String v = ctx.request().getParam(name);
    if (v == null) {
      return null;
    }
    try {
      long seq = Long.parseLong(v);
      if (seq >= 0) {
        return seq;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ApiError.INVALID_PARAMETER.with("query parameter '" + name + "' must be a ledger seq (0 or more)");
  }

  /** The ledger as JSON lines, oldest first, from after a seq: one page at a time, paced by the client. */
  private void exportLedger(RoutingContext ctx) {
    Long after = seqParam(ctx, "after");
    long limit = ctx.request().getParam("limit") == null ? Long.MAX_VALUE
        : Bodies.intParam(ctx, "limit", 1000, 1, Integer.MAX_VALUE);
    ctx.response().setChunked(true).putHeader("Content-Type", "application/x-ndjson");
    exportPage(ctx, after == null ? 0 : after, limit);
  }

  private void exportPage(RoutingContext ctx, long after, long left) {
    var response = ctx.response();
    if (left <= 0 || response.closed()) {
      response.end();
      return;
    }
    int page = (int) Math.min(EXPORT_PAGE, left);
    ask(LedgerAddresses.QUERY, new JsonObject().put("after", after).put("limit", page)).onSuccess(r -> {
      JsonArray entries = r.getJsonArray("entries");
      if (entries.isEmpty()) {
        response.end();
        return;
      }
      StringBuilder lines = new StringBuilder(entries.size() * 300);
      long last = after;
      for (Object o : entries) {
        lines.append(((JsonObject) o).encode()).append('\n');
        last = ((JsonObject) o).getLong("seq");
      }
      long next = last;
      response.write(lines.toString()).onComplete(w -> {
        if (w.failed() || entries.size() < page) {
          response.end();
        } else {
          exportPage(ctx, next, left - entries.size());
        }
      });
    }).onFailure(err -> {
      if (response.headWritten()) {
        response.reset(); // the client sees a broken transfer, not a short file that looks whole
      } else {
        ctx.fail(err);
      }
    });
  }

  /** Every plugin in the cluster: what each node runs (from its announcements) and what is deployed. */
  private void plugins(RoutingContext ctx) {
    Future.all(ask(ClusterAddresses.VIEW, new JsonObject()), ask(PluginAddresses.CATALOG, new JsonObject()))
        .onSuccess(all -> Errors.json(ctx, 200, new JsonObject().put("plugins",
            PluginListing.aggregate(all.<JsonObject>resultAt(0).getJsonArray("nodes"),
                all.<JsonObject>resultAt(1).getJsonArray("catalog")))))
        .onFailure(ctx::fail);
  }

  private void deployPlugin(RoutingContext ctx) {
    io.vertx.core.buffer.Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw ApiError.BAD_REQUEST.with("send the plugin jar as the request body (Content-Type: "
          + "application/java-archive or application/octet-stream)");
    }
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && !type.startsWith("application/java-archive") && !type.startsWith("application/octet-stream")
        && !type.startsWith("application/zip")) {
      throw ApiError.UNSUPPORTED_MEDIA_TYPE.with("a plugin upload must be application/java-archive or "
          + "application/octet-stream, not " + type);
    }
    String sha = ctx.request().getParam("sha256");
    if (sha == null) {
      sha = ctx.request().getHeader("X-Plugin-SHA256");
    }
    if (sha != null && !sha.matches("[0-9a-fA-F]{64}")) {
      throw ApiError.INVALID_PARAMETER.with("sha256 must be 64 hex characters");
    }
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(120_000)
        .addHeader("deployedBy", node.name() + " (" + ctx.request().remoteAddress() + ")");
    if (sha != null) {
      opts.addHeader("sha256", sha);
    }
    vertx.eventBus().<JsonObject>request(PluginAddresses.DEPLOY, body, opts)
        .onSuccess(m -> Errors.json(ctx, 201, m.body()))
        .onFailure(err -> ctx.fail(ApiError.from(BusError.from(err))));
  }

  private void removePlugin(RoutingContext ctx) {
    ask(PluginAddresses.REMOVE, new JsonObject().put("id", ctx.pathParam("id")))
        .onSuccess(entry -> Errors.json(ctx, 200, new JsonObject().put("removed", entry)))
        .onFailure(ctx::fail);
  }

  private void shutdown(RoutingContext ctx) {
    JsonObject req = Bodies.jsonObject(ctx);
    Object reasonValue = req.getValue("reason");
    if (reasonValue != null && !(reasonValue instanceof String)) {
      throw ApiError.BAD_REQUEST.with("'reason' must be a string");
    }
    String reason = reasonValue == null ? "requested through the API" : (String) reasonValue;
    if (reason.length() > 200) {
      throw ApiError.BAD_REQUEST.with("'reason' must be at most 200 characters");
    }
    LOG.info("shutdown requested through the API by {}: {}", ctx.request().remoteAddress(), reason);
    ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("status", "SHUTTING_DOWN").put("nodeId", node.id()).encode())
        // Start only once the answer is on its way, so the caller always gets it.
        .onComplete(v -> vertx.eventBus().send(NodeAddresses.SHUTDOWN, new JsonObject().put("reason", reason)));
  }

  private void logs(RoutingContext ctx) {
    int limit = Bodies.intParam(ctx, "limit", 100, 1, LogBuffer.CAPACITY);
    String level = ctx.request().getParam("level", "TRACE").toUpperCase(Locale.ROOT);
    if (!LOG_LEVELS.contains(level)) {
      throw ApiError.INVALID_PARAMETER.with("query parameter 'level' must be one of TRACE, DEBUG, INFO, WARN, ERROR");
    }
    Errors.json(ctx, 200, new JsonObject().put("entries", LogBuffer.recent(limit, Level.toLevel(level))));
  }

  private void failure(RoutingContext ctx) {
    Throwable f = ctx.failure();
    if (f instanceof ApiException e) {
      Errors.send(ctx, e.error(), e.getMessage());
      return;
    }
    switch (ctx.statusCode()) {
      case 413 -> Errors.send(ctx, ApiError.PAYLOAD_TOO_LARGE, "the request body is larger than this node's limit of "
          + (ctx.request().path().equals(PREFIX + "/plugins") ? cfg.maxPluginBytes() : cfg.maxBodyBytes()) + " bytes");
      case 400 -> Errors.send(ctx, ApiError.BAD_REQUEST, "the request is malformed");
      case -1, 500 -> {
        if (f instanceof IllegalArgumentException && java.util.Arrays.stream(f.getStackTrace())
            .anyMatch(e -> e.getClassName().contains("Decoder") || e.getMethodName().startsWith("decode"))) {
          // A query string with broken percent-encoding, found while Vert.x decoded it.
          Errors.send(ctx, ApiError.BAD_REQUEST, "the request URI is not valid: " + f.getMessage());
        } else {
          LOG.error("request {} {} failed", ctx.request().method(), ctx.request().path(), f);
          Errors.send(ctx, ApiError.INTERNAL, "internal error; the node's log has the details");
        }
      }
      case 404 -> Errors.send(ctx, ApiError.NOT_FOUND, "no such resource: " + ctx.request().path());
      case 405 -> Errors.send(ctx, ApiError.METHOD_NOT_ALLOWED,
          ctx.request().method() + " is not allowed on " + ctx.request().path());
      default -> {
        LOG.error("request {} {} failed", ctx.request().method(), ctx.request().path(), f);
        Errors.send(ctx, ApiError.INTERNAL, "internal error; the node's log has the details");
      }
    }
  }

  private static String readOpenApi() {
    try (InputStream in = ApiVerticle.class.getResourceAsStream("openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
