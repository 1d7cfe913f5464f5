package akita.node.plugin;

import akita.api.task.ExecutorContext;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The platform's {@link ExecutorContext}: a plugin's Vert.x, configuration, data folder and logger. */
final class PluginEnvironment implements ExecutorContext {

  private final Vertx vertx;
  private final Path dataDir;
  private final JsonObject config;
  private final Logger logger;

  PluginEnvironment(Vertx vertx, String pluginId, Path dataDir) {
    this.vertx = vertx;
    this.dataDir = dataDir;
    this.logger = ContextLogger.wrap(LoggerFactory.getLogger("akita.plugin." + pluginId), Map.of("plugin", pluginId));
    JsonObject c = read(dataDir.resolve("config.json"));
    c.mergeIn(read(dataDir.resolve("config.local.json")), true);
    this.config = c;
  }

  private static JsonObject read(Path file) {
    if (!Files.isRegularFile(file)) {
      return new JsonObject();
    }
    try {
      return new JsonObject(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (DecodeException e) {
      throw new IllegalStateException(file + " is not a JSON object: " + e.getMessage());
    }
  }

  @Override
  public Vertx vertx() {
    return vertx;
  }

  @Override
  public JsonObject config() {
    return config.copy();
  }

  @Override
  public synchronized Path dataDir() {
    try {
      return Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dataDir, e);
    }
  }

  @Override
  public Logger logger() {
    return logger;
  }
}
