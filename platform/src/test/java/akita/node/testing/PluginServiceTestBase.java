package akita.node.testing;

import akita.node.plugin.PluginService;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the tests that run a real {@link PluginService} on their own Vert.x: a fresh Vert.x and folder per
 * test; the service a test starts (assign it to {@link #service}) is stopped and Vert.x closed afterwards.
 */
public abstract class PluginServiceTestBase {

  /** A folder for the test's plugins and data. */
  @TempDir
  protected Path dir;

  /** The test's Vert.x. */
  protected Vertx vertx;

  /** The service under test, once a test has started one. */
  protected PluginService service;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopServiceAndVertx() throws Exception {
    if (service != null) {
      service.stop(1_000).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
