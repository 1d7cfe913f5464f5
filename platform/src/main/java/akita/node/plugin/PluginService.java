package akita.node.plugin;

import akita.api.task.ExecutorContext;
import akita.api.task.TaskException;
import akita.api.task.TaskExecutor;
import akita.api.task.TaskProgress;
import akita.node.worker.AttemptContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's task-executor plugins: loads them (load → check → start → register, rolled back on any
 * failure), routes task types to their executors, and unloads them (stop routing → wait for running
 * attempts, cancel them after a timeout → stop → unload). Also watches the plugins folder: a jar dropped in,
 * replaced or removed there is loaded, upgraded or unloaded while the node runs.
 *
 * <p>All PF4J work runs one operation at a time on a dedicated worker thread; {@link #run} and the read
 * methods are safe from any thread and never block.
 */
public final class PluginService {

  /** Where a plugin came from. */
  public enum Source {
    /** A jar in the node's plugins folder. */
    LOCAL,
    /** A jar deployed to the whole cluster. */
    CLUSTER
  }

  /** An attempt that is running: its context (to cancel it) and its result. */
  public record Running(AttemptContext context, Future<JsonObject> result) {
  }

  private static final Logger LOG = LoggerFactory.getLogger(PluginService.class);
  /** A jar modified more recently than this is still being written: picked up at the next scan. */
  private static final long SETTLE_MS = 500;
  private static final long START_TIMEOUT_MS = 30_000;

  /** One loaded plugin. */
  private static final class Slot {
    PluginCheck.Descriptor descriptor;
    Path jar;
    Source source;
    FileTime mtime;
    long size;
    String sha256;
    ClassLoader loader;
    final Map<String, TaskExecutor> byType = new HashMap<>();
    final Set<String> provides = new TreeSet<>();
    final Set<AttemptContext> running = ConcurrentHashMap.newKeySet();
    final AtomicInteger inflight = new AtomicInteger();
    volatile Promise<Void> idle;
  }

  /** What a task type routes to. */
  private record Route(Slot slot, TaskExecutor executor) {
  }

  private final Vertx vertx;
  private final Path dir;
  private final Path dataDir;
  private final Set<String> nodeCapabilities;
  private final PlatformPluginManager manager;
  private final WorkerExecutor admin;
  private final WorkerExecutor taskPool;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final Map<Path, LoadedPlugin> failures = new LinkedHashMap<>();
  private volatile Map<String, Route> routes = Map.of();
  private volatile List<LoadedPlugin> snapshot = List.of();
  private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * @param vertx the node's Vert.x
   * @param dir the plugins folder (created if missing)
   * @param dataDir the node's data folder (plugin data and scratch folders live under it)
   * @param nodeCapabilities the node's configured capabilities, checked against executors' requirements
   * @param taskThreads size of the worker pool for executors' blocking work
   */
  public PluginService(Vertx vertx, Path dir, Path dataDir, Set<String> nodeCapabilities, int taskThreads) {
    this.vertx = vertx;
    this.dir = dir.toAbsolutePath().normalize();
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.nodeCapabilities = Set.copyOf(nodeCapabilities);
    this.manager = new PlatformPluginManager(this.dir);
    this.admin = vertx.createSharedWorkerExecutor("akita-plugin-admin", 1, 5, TimeUnit.MINUTES);
    this.taskPool = vertx.createSharedWorkerExecutor("akita-task-workers", taskThreads);
  }

  /** @param listener called (on a worker thread) after every change of the loaded plugins */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  // ---- queries (any thread) ---------------------------------------------------------------------------

  /** @return every plugin: loaded ones and refused jars, by load order */
  public List<LoadedPlugin> plugins() {
    return snapshot;
  }

  /** @return the task types this node can run now, sorted */
  public List<String> taskTypes() {
    return List.copyOf(new TreeSet<>(routes.keySet()));
  }

  /** @return capabilities the loaded executors provide */
  public Set<String> providedCapabilities() {
    Set<String> out = new TreeSet<>();
    for (Route r : routes.values()) {
      out.addAll(r.slot.provides);
    }
    return out;
  }

  /** @return the plugins folder */
  public Path dir() {
    return dir;
  }

  // ---- running attempts -------------------------------------------------------------------------------

  /**
   * Starts one attempt with the executor for its type. Never throws: an unknown type, an executor that throws
   * or returns null all end in a failed result.
   *
   * @param spec the attempt
   * @param onProgress receives the executor's progress reports
   * @return the running attempt
   */
  public Running run(AttemptContext.Spec spec, Consumer<TaskProgress> onProgress) {
    Route route = routes.get(spec.taskType());
    if (route == null) {
      AttemptContext ctx = new AttemptContext(vertx, taskPool, getClass().getClassLoader(), spec,
          dataDir.resolve("scratch"), onProgress);
      return new Running(ctx, Future.failedFuture(new TaskException("UNKNOWN_TASK_TYPE",
          "no plugin on this node runs task type '" + spec.taskType() + "'", true)));
    }
    Slot slot = route.slot;
    AttemptContext ctx = new AttemptContext(vertx, taskPool, slot.loader, spec, dataDir.resolve("scratch"),
        onProgress);
    slot.inflight.incrementAndGet();
    slot.running.add(ctx);
    Future<JsonObject> result;
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    t.setContextClassLoader(slot.loader);
    try {
      result = route.executor.execute(ctx);
      if (result == null) {
        result = Future.failedFuture(new TaskException(TaskException.EXECUTION_FAILED,
            "executor for '" + spec.taskType() + "' returned no future", false));
      }
    } catch (RuntimeException | LinkageError e) {
      result = Future.failedFuture(e);
    } finally {
      t.setContextClassLoader(before);
    }
    Future<JsonObject> done = result.map(r -> r == null ? new JsonObject() : r).andThen(ar -> {
      slot.running.remove(ctx);
      ctx.close();
      if (slot.inflight.decrementAndGet() == 0 && slot.idle != null) {
        slot.idle.tryComplete();
      }
    });
    return new Running(ctx, done);
  }

  // ---- lifecycle (one operation at a time, on the admin thread) ---------------------------------------

  /** Loads every jar in the plugins folder. A bad jar is refused and logged; the others load. */
  public Future<Void> start() {
    return admin.<Void>executeBlocking(() -> {
      // At start every jar in the folder is taken as it is; the settle time only guards later rescans.
      scanNow(0);
      return null;
    }, true).onSuccess(v -> LOG.info("plugins from {}: {}", dir, snapshot.isEmpty() ? "none"
        : String.join(", ", snapshot.stream().map(p -> p.id() + " " + p.version() + " " + p.state() + " "
            + p.taskTypes()).toList())));
  }

  /**
   * Brings the loaded LOCAL plugins in line with the plugins folder: new jars are loaded, changed jars are
   * upgraded (the old version unloaded first), removed jars are unloaded.
   *
   * @return completed when done; never fails for a bad jar
   */
  public Future<Void> scan() {
    return admin.executeBlocking(() -> {
      scanNow(SETTLE_MS);
      return null;
    }, true);
  }

  /**
   * Unloads a plugin: no new attempts are routed to it; running ones get {@code drainMs} to finish, then are
   * cancelled.
   *
   * @param id the plugin id
   * @param drainMs how long to wait for running attempts
   * @return completed when unloaded; fails with PLUGIN_NOT_FOUND
   */
  public Future<Void> uninstall(String id, long drainMs) {
    return admin.executeBlocking(() -> {
      Slot s = slots.get(id);
      if (s == null) {
        throw new PluginException(PluginException.PLUGIN_NOT_FOUND, "no plugin '" + id + "' is loaded on this node");
      }
      unload(s, drainMs, "uninstalled");
      publish();
      return null;
    }, true);
  }

  /**
   * Unloads every plugin, waiting up to {@code drainMs} for running attempts.
   *
   * @param drainMs how long to wait for running attempts
   * @return completed when all are unloaded
   */
  public Future<Void> stop(long drainMs) {
    return admin.<Void>executeBlocking(() -> {
      for (Slot s : new ArrayList<>(slots.values())) {
        unload(s, drainMs, "node stopping");
      }
      publish();
      return null;
    }, true).eventually(() -> Future.join(admin.close(), taskPool.close()).mapEmpty());
  }

  // ---- cluster-wide deploy ----------------------------------------------------------------------------

  /**
   * Deploys a jar to the whole cluster: checks it, loads it here first (so a jar that cannot load is refused
   * before any other node sees it), then stores it in the catalog, from which every node loads it.
   *
   * @param bytes the jar
   * @param expectedSha256 the hash the uploader computed, or {@code null}
   * @param catalog the cluster's catalog
   * @param clusterDir where this node keeps cluster-deployed jars
   * @param deployedBy who deployed it, for the record
   * @return the catalog entry
   */
  public Future<JsonObject> deploy(byte[] bytes, String expectedSha256, PluginCatalog catalog, Path clusterDir,
      String deployedBy) {
    return admin.executeBlocking(() -> {
      String sha = sha256(bytes);
      if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha)) {
        throw new PluginException(PluginException.CHECKSUM_MISMATCH, "the uploaded jar's SHA-256 is " + sha + ", not "
            + expectedSha256 + " as declared; the upload was damaged or the wrong file was sent");
      }
      Files.createDirectories(clusterDir);
      Path tmp = Files.createTempFile(clusterDir, "upload-", ".jar.tmp");
      try {
        Files.write(tmp, bytes);
        PluginCheck.Descriptor d = PluginCheck.check(tmp);
        Slot existing = slots.get(d.id());
        if (existing != null && existing.source == Source.LOCAL) {
          throw new PluginException(PluginException.PLUGIN_CONFLICT, "plugin " + d.id() + " is installed from the "
              + "plugins folder (" + existing.jar.getFileName() + "); remove that jar before deploying it cluster-wide");
        }
        Path jar = clusterDir.resolve(d.id() + "-" + d.version() + "-" + sha.substring(0, 12) + ".jar");
        if (existing != null && sha.equals(existing.sha256)) {
          return entry(d, sha, bytes.length, deployedBy);
        }
        Files.move(tmp, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path previousJar = existing == null ? null : existing.jar;
        if (existing != null) {
          unload(existing, 30_000, "upgraded to " + d.version() + " by a cluster-wide deploy");
        }
        try {
          load(jar, Source.CLUSTER).sha256 = sha;
        } catch (PluginException e) {
          failures.remove(jar);
          Files.deleteIfExists(jar);
          if (previousJar != null) {
            try {
              load(previousJar, Source.CLUSTER).sha256 = existing.sha256;
            } catch (PluginException again) {
              LOG.error("could not restore plugin {} after a failed upgrade: {}", d.id(), again.getMessage());
            }
          }
          publish();
          throw e;
        }
        if (previousJar != null && !previousJar.equals(jar)) {
          Files.deleteIfExists(previousJar);
        }
        JsonObject entry = entry(d, sha, bytes.length, deployedBy);
        catalog.put(entry, bytes);
        publish();
        return entry;
      } finally {
        Files.deleteIfExists(tmp);
      }
    }, true);
  }

  private static JsonObject entry(PluginCheck.Descriptor d, String sha, long size, String deployedBy) {
    return new JsonObject().put("id", d.id()).put("version", d.version()).put("sha256", sha).put("size", size)
        .put("deployedAt", java.time.Instant.now().toString()).put("deployedBy", deployedBy);
  }

  /**
   * Brings the CLUSTER plugins on this node in line with the catalog: fetches, verifies and loads what is
   * new or changed, unloads what was removed.
   *
   * @param catalog the cluster's catalog
   * @param clusterDir where this node keeps cluster-deployed jars
   * @return completed when done; never fails for a bad jar (it is recorded as FAILED)
   */
  public Future<Void> sync(PluginCatalog catalog, Path clusterDir) {
    return admin.executeBlocking(() -> {
      Map<String, JsonObject> wanted = catalog.entries();
      boolean changed = false;
      for (Slot s : new ArrayList<>(slots.values())) {
        if (s.source != Source.CLUSTER) {
          continue;
        }
        JsonObject e = wanted.get(s.descriptor.id());
        if (e == null || !e.getString("sha256").equals(s.sha256)) {
          unload(s, 30_000, e == null ? "removed from the cluster" : "upgraded cluster-wide");
          Files.deleteIfExists(s.jar);
          changed = true;
        }
      }
      for (JsonObject e : wanted.values()) {
        String id = e.getString("id");
        Slot s = slots.get(id);
        if (s != null) {
          if (s.source == Source.LOCAL) {
            LOG.warn("plugin {} {} deployed cluster-wide is not loaded here: this node has {} from its plugins folder",
                id, e.getString("version"), s.descriptor.version());
          }
          continue;
        }
        String sha = e.getString("sha256");
        Path jar = clusterDir.resolve(id + "-" + e.getString("version") + "-" + sha.substring(0, 12) + ".jar");
        LoadedPlugin failed = failures.get(jar);
        if (failed != null) {
          continue; // this exact jar was refused here already
        }
        byte[] bytes = catalog.jar(sha);
        if (bytes == null || !sha256(bytes).equals(sha)) {
          LOG.error("plugin {}: the cluster's copy of the jar is missing or does not match its SHA-256 {}", id, sha);
          continue;
        }
        Files.createDirectories(clusterDir);
        Path tmp = Files.createTempFile(clusterDir, id, ".jar.tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        try {
          load(jar, Source.CLUSTER).sha256 = sha;
        } catch (PluginException ex) {
          // recorded as FAILED by load()
        }
        changed = true;
      }
      if (changed) {
        publish();
      }
      return null;
    }, true);
  }

  /**
   * At start, reconciles the cluster-deployed jars this node kept on disk with the catalog. When the catalog
   * is empty (the whole cluster restarted and Hazelcast's copy is gone), the kept jars are deployed again, so
   * cluster-wide plugins survive a full restart; when the catalog exists but no longer lists a kept jar's
   * plugin, it was removed while this node was away, and the jar is deleted.
   *
   * @param catalog the cluster's catalog
   * @param clusterDir where this node keeps cluster-deployed jars
   * @return completed when done
   */
  public Future<Void> reseed(PluginCatalog catalog, Path clusterDir) {
    return admin.executeBlocking(() -> {
      if (!Files.isDirectory(clusterDir)) {
        return null;
      }
      Map<String, JsonObject> entries = catalog.entries();
      List<Path> kept;
      try (Stream<Path> files = Files.list(clusterDir)) {
        kept = files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
      }
      for (Path jar : kept) {
        PluginCheck.Descriptor d;
        try {
          d = PluginCheck.check(jar);
        } catch (PluginException e) {
          LOG.warn("ignoring the kept cluster jar {}: {}", jar.getFileName(), e.getMessage());
          continue;
        }
        if (entries.isEmpty()) {
          byte[] bytes = Files.readAllBytes(jar);
          String sha = sha256(bytes);
          if (catalog.putIfAbsent(entry(d, sha, bytes.length, "restored after a cluster restart"), bytes)) {
            LOG.info("plugin {} {} restored to the cluster catalog from {}", d.id(), d.version(), jar.getFileName());
          }
        } else if (!entries.containsKey(d.id())) {
          LOG.info("plugin {} was removed from the cluster while this node was away; deleting {}", d.id(),
              jar.getFileName());
          Files.deleteIfExists(jar);
        }
      }
      return null;
    }, true);
  }

  static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void scanNow(long settleMs) throws IOException {
    Files.createDirectories(dir);
    Map<Path, FileTime> present = new HashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(p) && p.getFileName().toString().endsWith(".jar")) {
          present.put(p.toAbsolutePath().normalize(), Files.getLastModifiedTime(p));
        }
      }
    }
    long now = System.currentTimeMillis();
    boolean changed = false;
    // Removed or replaced jars first, so an upgrade's new jar never conflicts with its old one.
    for (Slot s : new ArrayList<>(slots.values())) {
      if (s.source != Source.LOCAL) {
        continue;
      }
      FileTime t = present.get(s.jar);
      if (t == null) {
        unload(s, 30_000, "its jar was removed from " + dir);
        changed = true;
      } else if (!t.equals(s.mtime) || Files.size(s.jar) != s.size) {
        if (now - t.toMillis() < settleMs) {
          present.remove(s.jar);
          continue;
        }
        unload(s, 30_000, "its jar was replaced");
        changed = true;
      }
    }
    failures.keySet().removeIf(p -> !present.containsKey(p));
    Set<Path> loaded = new HashSet<>();
    slots.values().forEach(s -> loaded.add(s.jar));
    List<Path> fresh = new ArrayList<>(present.keySet());
    Collections.sort(fresh);
    for (Path p : fresh) {
      FileTime t = present.get(p);
      if (loaded.contains(p) || now - t.toMillis() < settleMs) {
        continue;
      }
      LoadedPlugin failed = failures.get(p);
      if (failed != null && failed.mtime() == t.toMillis()) {
        continue; // already refused, unchanged since
      }
      try {
        load(p, Source.LOCAL);
      } catch (PluginException e) {
        // recorded and logged by load()
      }
      changed = true;
    }
    if (changed) {
      publish();
    }
  }

  private Slot load(Path jar, Source source) {
    String file = jar.getFileName().toString();
    PluginCheck.Descriptor d;
    try {
      d = PluginCheck.check(jar);
    } catch (PluginException e) {
      return refuse(jar, file, "?", e);
    }
    Slot existing = slots.get(d.id());
    if (existing != null) {
      return refuse(jar, d.id(), d.version(), new PluginException(PluginException.PLUGIN_CONFLICT, "plugin " + d.id()
          + " is already loaded from " + existing.jar.getFileName() + "; remove or replace that jar to upgrade"));
    }
    String id;
    try {
      id = manager.loadPlugin(jar);
    } catch (RuntimeException e) {
      return refuse(jar, d.id(), d.version(), PluginException.invalid("PF4J could not load " + file + ": "
          + e.getMessage()));
    }
    Slot s = new Slot();
    s.descriptor = d;
    s.jar = jar;
    s.source = source;
    try {
      s.mtime = Files.getLastModifiedTime(jar);
      s.size = Files.size(jar);
    } catch (IOException e) {
      rollback(s, id);
      return refuse(jar, id, d.version(), PluginException.invalid("cannot read " + file + ": " + e.getMessage()));
    }
    try {
      PluginState state = manager.startPlugin(id);
      PluginWrapper w = manager.getPlugin(id);
      if (state != PluginState.STARTED) {
        Throwable why = w.getFailedException();
        throw new PluginException(PluginException.PLUGIN_START_FAILED, "plugin " + id + " did not start"
            + (why == null ? "" : ": " + why));
      }
      s.loader = w.getPluginClassLoader();
      register(s, id);
    } catch (RuntimeException | LinkageError e) {
      rollback(s, id);
      PluginException pe = e instanceof PluginException p ? p
          : PluginException.invalid("plugin " + id + " could not be loaded: " + e);
      return refuse(jar, id, d.version(), pe);
    }
    slots.put(id, s);
    failures.remove(jar);
    Map<String, Route> next = new HashMap<>(routes);
    s.byType.forEach((type, ex) -> next.put(type, new Route(s, ex)));
    routes = Map.copyOf(next);
    LOG.info("plugin {} {} loaded from {} ({}): task types {}", id, d.version(), file, source, s.byType.keySet());
    return s;
  }

  /** Finds the executors, checks them, and starts them; throws (for rollback) on any problem. */
  private void register(Slot s, String id) {
    Set<String> listed = manager.getExtensionClassNames(id);
    List<TaskExecutor> found = manager.getExtensions(TaskExecutor.class, id);
    if (found.isEmpty()) {
      throw PluginException.invalid("plugin " + id + " has no TaskExecutor that could be loaded (listed: " + listed
          + "); see the node's log for the class-loading error");
    }
    if (found.size() < listed.size()) {
      Set<String> ok = new HashSet<>();
      found.forEach(e -> ok.add(e.getClass().getName()));
      Set<String> missing = new TreeSet<>(listed);
      missing.removeAll(ok);
      throw PluginException.invalid("plugin " + id + ": extension(s) " + missing + " could not be loaded");
    }
    for (TaskExecutor ex : found) {
      Set<String> types = ex.taskTypes();
      if (types == null || types.isEmpty()) {
        throw PluginException.invalid("plugin " + id + ": " + ex.getClass().getName() + " names no task type");
      }
      for (String type : types) {
        if (type == null || !type.matches("[a-z][a-z0-9._-]{0,63}")) {
          throw PluginException.invalid("plugin " + id + ": task type '" + type + "' must be lowercase letters, "
              + "digits, '.', '_' or '-', starting with a letter");
        }
        Route taken = routes.get(type);
        if (taken != null || s.byType.containsKey(type)) {
          throw new PluginException(PluginException.PLUGIN_CONFLICT, "plugin " + id + ": task type '" + type
              + "' is already provided by plugin " + (taken == null ? id : taken.slot.descriptor.id()));
        }
      }
      Set<String> needs = ex.requiredCapabilities() == null ? Set.of() : ex.requiredCapabilities();
      if (!nodeCapabilities.containsAll(needs)) {
        LOG.warn("plugin {}: {} needs capabilities {} this node does not offer; its types are not offered here",
            id, ex.getClass().getSimpleName(), needs);
        continue;
      }
      types.forEach(type -> s.byType.put(type, ex));
      if (ex.providedCapabilities() != null) {
        s.provides.addAll(ex.providedCapabilities());
      }
    }
    for (TaskExecutor ex : new HashSet<>(s.byType.values())) {
      startExecutor(s, id, ex);
    }
  }

  private void startExecutor(Slot s, String id, TaskExecutor ex) {
    ExecutorContext ctx = new PluginEnvironment(vertx, id, dataDir.resolve("plugins-data").resolve(id));
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    t.setContextClassLoader(s.loader);
    try {
      Future<Void> started = ex.start(ctx);
      if (started != null) {
        started.toCompletionStage().toCompletableFuture().get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      }
    } catch (java.util.concurrent.ExecutionException e) {
      throw new PluginException(PluginException.PLUGIN_START_FAILED, "plugin " + id + ": "
          + ex.getClass().getSimpleName() + " failed to start: " + e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new PluginException(PluginException.PLUGIN_START_FAILED, "plugin " + id + ": "
          + ex.getClass().getSimpleName() + " did not start within " + START_TIMEOUT_MS + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PluginException(PluginException.PLUGIN_START_FAILED, "interrupted while starting plugin " + id);
    } catch (RuntimeException | LinkageError e) {
      throw new PluginException(PluginException.PLUGIN_START_FAILED, "plugin " + id + ": "
          + ex.getClass().getSimpleName() + " failed to start: " + e);
    } finally {
      t.setContextClassLoader(before);
    }
  }

  private void rollback(Slot s, String id) {
    for (TaskExecutor ex : new HashSet<>(s.byType.values())) {
      stopExecutor(id, ex);
    }
    try {
      manager.stopPlugin(id);
    } catch (RuntimeException e) {
      LOG.debug("stopping plugin {} during rollback: {}", id, e.getMessage());
    }
    try {
      manager.unloadPlugin(id);
    } catch (RuntimeException e) {
      LOG.debug("unloading plugin {} during rollback: {}", id, e.getMessage());
    }
  }

  private Slot refuse(Path jar, String id, String version, PluginException e) {
    LOG.error("plugin jar {} refused: {}", jar.getFileName(), e.getMessage());
    long mtime;
    try {
      mtime = Files.getLastModifiedTime(jar).toMillis();
    } catch (IOException io) {
      mtime = 0;
    }
    failures.put(jar, new LoadedPlugin("?".equals(id) ? jar.getFileName().toString() : id, version, "FAILED",
        List.of(), jar, e.code() + ": " + e.getMessage(), mtime,
        jar.startsWith(dir) ? Source.LOCAL.name() : Source.CLUSTER.name()));
    throw e;
  }

  private void unload(Slot s, long drainMs, String why) {
    String id = s.descriptor.id();
    // 1. Stop routing new attempts to it.
    Map<String, Route> next = new HashMap<>(routes);
    next.values().removeIf(r -> r.slot == s);
    routes = Map.copyOf(next);
    slots.remove(id);
    // 2. Let running attempts finish, then cancel the rest.
    if (s.inflight.get() > 0) {
      s.idle = Promise.promise();
      if (s.inflight.get() > 0) {
        try {
          s.idle.future().toCompletionStage().toCompletableFuture().get(drainMs, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          LOG.warn("plugin {}: cancelling {} attempt(s) still running after {} ms", id, s.inflight.get(), drainMs);
          s.running.forEach(c -> c.cancel("plugin " + id + " is being unloaded: " + why));
          try {
            s.idle.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
          } catch (Exception ignored) {
            LOG.warn("plugin {}: {} attempt(s) ignored cancellation; unloading anyway", id, s.inflight.get());
          }
        }
      }
    }
    // 3. Stop and unload.
    for (TaskExecutor ex : new HashSet<>(s.byType.values())) {
      stopExecutor(id, ex);
    }
    manager.stopPlugin(id);
    manager.unloadPlugin(id);
    LOG.info("plugin {} {} unloaded: {}", id, s.descriptor.version(), why);
  }

  private void stopExecutor(String id, TaskExecutor ex) {
    try {
      Future<Void> f = ex.stop();
      if (f != null) {
        f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    } catch (Exception | LinkageError e) {
      LOG.warn("plugin {}: {} failed to stop cleanly: {}", id, ex.getClass().getSimpleName(), e.toString());
    }
  }

  private LoadedPlugin describe(Slot s) {
    return new LoadedPlugin(s.descriptor.id(), s.descriptor.version(), "STARTED",
        List.copyOf(new TreeSet<>(s.byType.keySet())), s.jar, null, s.mtime.toMillis(), s.source.name());
  }

  private void publish() {
    List<LoadedPlugin> out = new ArrayList<>();
    slots.values().forEach(s -> out.add(describe(s)));
    out.addAll(failures.values());
    snapshot = List.copyOf(out);
    listeners.forEach(Runnable::run);
  }
}
