package akita.node.plugin;

import akita.api.task.TaskExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the task-executor plugins in the plugins folder and maps each task type to its executor. A plugin
 * that fails to load, to start, or that claims a task type another plugin already has, is refused and
 * logged; the node and its other plugins go on.
 *
 * <p>Blocking (file and class-loader work): call {@link #start()} and {@link #stop()} off the event loop.
 */
public final class PluginService {

  private static final Logger LOG = LoggerFactory.getLogger(PluginService.class);

  private final Path dir;
  private final PlatformPluginManager manager;
  private final Map<String, TaskExecutor> executors = new HashMap<>();
  private final Map<String, LoadedPlugin> plugins = new LinkedHashMap<>();

  /**
   * @param dir the plugins folder; created if missing
   */
  public PluginService(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
    this.manager = new PlatformPluginManager(this.dir);
  }

  /** Loads and starts every plugin jar in the folder. Never throws for a bad plugin. */
  public synchronized void start() {
    try {
      Files.createDirectories(dir);
    } catch (Exception e) {
      LOG.error("cannot create the plugins folder {}: {}; no plugins loaded", dir, e.getMessage());
      return;
    }
    manager.loadPlugins();
    manager.startPlugins();
    for (PluginWrapper w : manager.getPlugins()) {
      register(w);
    }
    LOG.info("plugins from {}: {}", dir, plugins.isEmpty() ? "none" : String.join(", ",
        plugins.values().stream().map(p -> p.id() + " " + p.version() + " " + p.state() + " " + p.taskTypes())
            .toList()));
  }

  private void register(PluginWrapper w) {
    String id = w.getPluginId();
    List<String> types = new ArrayList<>();
    String error = null;
    if (w.getPluginState() == PluginState.STARTED) {
      try {
        List<TaskExecutor> found = manager.getExtensions(TaskExecutor.class, id);
        Map<String, TaskExecutor> mine = new HashMap<>();
        for (TaskExecutor ex : found) {
          for (String type : ex.taskTypes()) {
            if (executors.containsKey(type) || mine.containsKey(type)) {
              throw new IllegalStateException("task type '" + type + "' is already provided by another plugin");
            }
            mine.put(type, ex);
          }
        }
        executors.putAll(mine);
        types.addAll(new TreeSet<>(mine.keySet()));
      } catch (RuntimeException | LinkageError e) {
        error = e.getMessage();
        LOG.error("plugin {} refused: {}", id, e.getMessage());
        manager.stopPlugin(id);
      }
    } else if (w.getFailedException() != null) {
      error = w.getFailedException().getMessage();
      LOG.error("plugin {} failed: {}", id, error);
    }
    String state = error != null ? PluginState.FAILED.toString() : w.getPluginState().toString();
    plugins.put(id, new LoadedPlugin(id, w.getDescriptor().getVersion(), state, List.copyOf(types),
        w.getPluginPath(), error));
  }

  /** Stops and unloads every plugin. */
  public synchronized void stop() {
    executors.clear();
    manager.stopPlugins();
    manager.unloadPlugins();
  }

  /**
   * @param type a task type
   * @return the executor for it, or {@code null} when no loaded plugin handles it
   */
  public synchronized TaskExecutor executor(String type) {
    return executors.get(type);
  }

  /** @return the task types this node can run, sorted */
  public synchronized List<String> taskTypes() {
    return List.copyOf(new TreeSet<>(executors.keySet()));
  }

  /** @return every plugin found, in load order */
  public synchronized List<LoadedPlugin> plugins() {
    return Collections.unmodifiableList(new ArrayList<>(plugins.values()));
  }

  /** @return the plugins folder */
  public Path dir() {
    return dir;
  }
}
