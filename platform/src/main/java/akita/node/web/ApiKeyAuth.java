package akita.node.web;

import akita.node.ledger.LedgerAddresses;
import akita.node.ledger.LedgerEventTypes;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requires one of the configured API keys in the API-key header, or as a bearer token ({@code Authorization:
 * Bearer KEY}) when that header is absent. Keys are compared as SHA-256 digests with
 * {@link MessageDigest#isEqual}, against every configured key, so the time taken says nothing about how
 * close a guess was. Keys are never logged.
 */
final class ApiKeyAuth implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyAuth.class);

  private final String header;
  private final List<byte[]> digests;

  ApiKeyAuth(String header, List<String> keys) {
    this.header = header;
    this.digests = keys.stream().map(ApiKeyAuth::sha256).toList();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String presented = ctx.request().getHeader(header);
    String authorization = ctx.request().getHeader("Authorization");
    if ((presented == null || presented.isEmpty()) && authorization != null
        && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      presented = authorization.substring(7).trim(); // what Prometheus and most HTTP tools send
    }
    if (presented == null || presented.isEmpty()) {
      record(ctx, "missing");
      ctx.fail(ApiError.API_KEY_MISSING.with("this node requires an API key in the " + header + " header"));
      return;
    }
    byte[] digest = sha256(presented);
    boolean ok = false;
    for (byte[] d : digests) {
      ok |= MessageDigest.isEqual(d, digest);
    }
    if (ok) {
      ctx.next();
    } else {
      LOG.warn("refused {} {} from {}: invalid API key", ctx.request().method(), ctx.request().path(),
          ctx.request().remoteAddress());
      record(ctx, "invalid");
      ctx.fail(ApiError.API_KEY_INVALID.with("the API key in the " + header + " header is not valid"));
    }
  }

  /**
   * Records a refused request in the ledger as {@code AUTH_FAILED}, at most {@value #EVENTS_PER_SECOND} a second
   * (a flood of bad requests must not flood the ledger); the ones left out are counted in the next event.
   */
  private void record(RoutingContext ctx, String why) {
    long second = System.currentTimeMillis() / 1000;
    long left;
    synchronized (this) {
      if (second != window) {
        window = second;
        inWindow = 0;
      }
      if (inWindow >= EVENTS_PER_SECOND) {
        suppressed++;
        return;
      }
      inWindow++;
      left = suppressed;
      suppressed = 0;
    }
    ctx.vertx().eventBus().send(LedgerAddresses.APPEND, new JsonObject().put("type", LedgerEventTypes.AUTH_FAILED)
        .put("subject", String.valueOf(ctx.request().remoteAddress() == null ? null
            : ctx.request().remoteAddress().hostAddress()))
        .put("data", new JsonObject().put("reason", why).put("method", ctx.request().method().name())
            .put("path", ctx.request().path()).put("notRecordedBefore", left)));
  }

  private static final int EVENTS_PER_SECOND = 5;
  private long window;
  private int inWindow;
  private long suppressed;

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
