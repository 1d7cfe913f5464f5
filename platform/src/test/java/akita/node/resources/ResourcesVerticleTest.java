package akita.node.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akita.node.bus.BusError;
import akita.node.config.NodeConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The resources verticle on one Vert.x: sampling off the event loop, local publishing, the bounded history. */
@ExtendWith(VertxExtension.class)
class ResourcesVerticleTest {

  /** Where each call into the sampler ran: thread name and whether it was an event-loop thread. */
  private final Queue<String> calls = new ConcurrentLinkedQueue<>();

  /** The real sampler, recording the thread of every call. */
  private final class Recording implements ResourcesVerticle.Source {
    private final ResourceSampler real;

    Recording() {
      record("create");
      real = new ResourceSampler();
    }

    @Override
    public JsonObject sample() {
      record("sample");
      return real.sample();
    }

    private void record(String what) {
      calls.add(what + " on " + Thread.currentThread().getName() + (Context.isOnEventLoopThread() ? " (event loop)" : ""));
    }
  }

  private static Future<JsonObject> history(Vertx vertx, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(ResourcesAddresses.history("n1"), body).map(m -> m.body());
  }

  /**
   * Verifies samples are taken on the verticle's own worker thread, never an event loop, published locally,
   * and that the history keeps only the newest {@code --resources-history} samples, oldest first.
   */
  @Test
  void samplesOffTheEventLoopIntoABoundedHistory(Vertx vertx, VertxTestContext ctx) {
    AtomicInteger published = new AtomicInteger();
    Promise<Void> fifth = Promise.promise();
    vertx.eventBus().<JsonObject>localConsumer(ResourcesAddresses.SAMPLE, m -> {
      ctx.verify(() -> assertNotNull(m.body().getJsonObject("memory")));
      if (published.incrementAndGet() == 5) {
        fifth.tryComplete();
      }
    });
    vertx.deployVerticle(new ResourcesVerticle("n1", new NodeConfig.Resources(100, 3), Recording::new))
        .compose(id -> fifth.future())
        .compose(v -> history(vertx, new JsonObject()))
        .compose(all -> {
          ctx.verify(() -> {
            assertEquals("n1", all.getString("nodeId"));
            assertEquals(100, all.getLong("intervalMs"));
            assertEquals(3, all.getInteger("historySize"));
            JsonArray h = all.getJsonArray("history");
            assertEquals(3, h.size(), "bounded to --resources-history");
            long t0 = h.getJsonObject(0).getLong("time");
            long t1 = h.getJsonObject(1).getLong("time");
            long t2 = h.getJsonObject(2).getLong("time");
            assertTrue(t0 < t1 && t1 < t2, "oldest first: " + List.of(t0, t1, t2));
            assertTrue(all.getJsonObject("latest").getLong("time") >= t2);
          });
          return history(vertx, new JsonObject().put("limit", 2));
        })
        .compose(two -> {
          ctx.verify(() -> assertEquals(2, two.getJsonArray("history").size()));
          return history(vertx, new JsonObject().put("limit", 0));
        })
        .compose(none -> {
          ctx.verify(() -> {
            assertEquals(0, none.getJsonArray("history").size());
            assertNotNull(none.getJsonObject("latest"));
          });
          return history(vertx, new JsonObject().put("limit", -1));
        })
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          assertEquals("INVALID_PARAMETER", BusError.from(err).code());
          assertEquals(400, BusError.from(err).status());
          assertTrue(calls.size() >= 6, calls.toString());
          for (String call : calls) {
            assertFalse(call.endsWith("(event loop)"), call);
            assertTrue(call.contains(" on " + ResourcesVerticle.WORKER_POOL), call);
          }
          ctx.completeNow();
        })));
  }

  /** Verifies a machine whose resources cannot be read does not stop the verticle: the history stays empty. */
  @Test
  void anUnreadableMachineLeavesTheHistoryEmpty(Vertx vertx, VertxTestContext ctx) {
    Promise<Void> tried = Promise.promise();
    ResourcesVerticle verticle = new ResourcesVerticle("n1", new NodeConfig.Resources(100, 3), () -> {
      tried.complete();
      throw new UnsupportedOperationException("no OSHI for this platform");
    });
    vertx.deployVerticle(verticle)
        .compose(id -> tried.future())
        .compose(v -> history(vertx, new JsonObject()))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertNull(r.getJsonObject("latest"));
          assertEquals(0, r.getJsonArray("history").size());
          ctx.completeNow();
        })));
  }
}
