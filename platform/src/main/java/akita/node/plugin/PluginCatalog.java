package akita.node.plugin;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The cluster's deployed plugins, kept in Hazelcast: {@value #CATALOG} maps a plugin id to its entry
 * ({@code id, version, sha256, size, deployedAt, deployedBy}); {@value #JARS} maps a SHA-256 to the jar's
 * bytes, stored once. Both maps have a synchronous backup, so a member's death loses neither. Nodes that
 * join later read the catalog when they start. Blocking: call off the event loop.
 */
public final class PluginCatalog {

  /** The map of deployed plugins by id. */
  public static final String CATALOG = "akita.plugins.catalog";
  /** The map of jar bytes by SHA-256. */
  public static final String JARS = "akita.plugins.jars";

  private final IMap<String, String> catalog;
  private final IMap<String, byte[]> jars;

  /** @param hz the node's Hazelcast member */
  public PluginCatalog(HazelcastInstance hz) {
    this.catalog = hz.getMap(CATALOG);
    this.jars = hz.getMap(JARS);
  }

  /**
   * Stores a jar and makes it the deployed version of its plugin.
   *
   * @param entry the catalog entry ({@code id, version, sha256, ...})
   * @param bytes the jar
   */
  public void put(JsonObject entry, byte[] bytes) {
    String sha = entry.getString("sha256");
    jars.set(sha, bytes);
    String previous = catalog.put(entry.getString("id"), entry.encode());
    if (previous != null) {
      String old = new JsonObject(previous).getString("sha256");
      if (!old.equals(sha) && !catalog.values().stream().anyMatch(v -> new JsonObject(v).getString("sha256").equals(old))) {
        jars.delete(old);
      }
    }
  }

  /**
   * Stores a jar and records it only if no version of its plugin is in the catalog (another node may be
   * restoring the same plugin at the same moment).
   *
   * @param entry the catalog entry
   * @param bytes the jar
   * @return whether this call recorded it
   */
  public boolean putIfAbsent(JsonObject entry, byte[] bytes) {
    jars.set(entry.getString("sha256"), bytes);
    return catalog.putIfAbsent(entry.getString("id"), entry.encode()) == null;
  }

  /**
   * Removes a plugin from the catalog.
   *
   * @param id the plugin id
   * @return its entry, or {@code null} if it was not deployed
   */
  public JsonObject remove(String id) {
    String previous = catalog.remove(id);
    if (previous == null) {
      return null;
    }
    JsonObject entry = new JsonObject(previous);
    jars.delete(entry.getString("sha256"));
    return entry;
  }

  /** @return every deployed plugin's entry, by id */
  public Map<String, JsonObject> entries() {
    Map<String, JsonObject> out = new HashMap<>();
    catalog.forEach((k, v) -> out.put(k, new JsonObject(v)));
    return out;
  }

  /**
   * @param sha256 a jar's hash
   * @return its bytes, or {@code null}
   */
  public byte[] jar(String sha256) {
    return jars.get(sha256);
  }

  /**
   * Calls back on every change of the catalog (on a Hazelcast thread).
   *
   * @param onChange receives the changed plugin id
   * @return closing it removes the listener
   */
  public AutoCloseable listen(Consumer<String> onChange) {
    class Listener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
        EntryRemovedListener<String, String> {
      @Override
      public void entryAdded(EntryEvent<String, String> e) {
        onChange.accept(e.getKey());
      }

      @Override
      public void entryUpdated(EntryEvent<String, String> e) {
        onChange.accept(e.getKey());
      }

      @Override
      public void entryRemoved(EntryEvent<String, String> e) {
        onChange.accept(e.getKey());
      }
    }
    UUID id = catalog.addEntryListener(new Listener(), false);
    return () -> catalog.removeEntryListener(id);
  }
}
