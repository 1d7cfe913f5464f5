package akita.node.resources;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;

/**
 * The compact form of a resource sample that a node announces to every other node each heartbeat (and that
 * the scheduler scores): CPU total, load average, memory, swap, disk and network totals, file descriptors
 * and heap, without the per-core, per-mount and per-interface lists. About 500 bytes instead of a few
 * kilobytes; the full sample is one REST call away (docs/resources.md).
 */
public final class ResourceSummary {

  private ResourceSummary() {
  }

  /**
   * @param sample a full sample as {@link ResourcesAddresses#SAMPLE} carries it
   * @return its summary
   */
  public static JsonObject of(JsonObject sample) {
    JsonObject cpu = sample.getJsonObject("cpu", new JsonObject());
    return new JsonObject()
        .put("time", sample.getLong("time"))
        .put("cpu", new JsonObject().put("total", cpu.getDouble("total")).put("cores", cpu.getInteger("cores")))
        .put("loadAverage", sample.getJsonArray("loadAverage"))
        .put("memory", sample.getJsonObject("memory"))
        .put("swap", sample.getJsonObject("swap"))
        .put("disk", disk(sample.getJsonArray("disks", new JsonArray())))
        .put("network", network(sample.getJsonArray("network", new JsonArray())))
        .put("openFileDescriptors", sample.getLong("openFileDescriptors"))
        .put("maxFileDescriptors", sample.getLong("maxFileDescriptors"))
        .put("jvm", sample.getJsonObject("jvm"));
  }

  /** Space summed over the mounts; I/O summed over distinct devices, so two mounts of one disk count once. */
  private static JsonObject disk(JsonArray disks) {
    long total = 0;
    long free = 0;
    long used = 0;
    double read = 0;
    double write = 0;
    Set<String> devices = new HashSet<>();
    for (Object o : disks) {
      JsonObject d = (JsonObject) o;
      total += d.getLong("totalBytes", 0L);
      free += d.getLong("freeBytes", 0L);
      used += d.getLong("usedBytes", 0L);
      String device = d.getString("device");
      if (device != null && devices.add(device)) {
        read += d.getDouble("readBytesPerSecond", 0.0);
        write += d.getDouble("writeBytesPerSecond", 0.0);
      }
    }
    return new JsonObject().put("mounts", disks.size()).put("totalBytes", total).put("freeBytes", free)
        .put("usedBytes", used).put("readBytesPerSecond", cents(read)).put("writeBytesPerSecond", cents(write));
  }

  /** Rates summed over the interfaces that are not loopback: traffic that leaves the machine. */
  private static JsonObject network(JsonArray interfaces) {
    double rx = 0;
    double tx = 0;
    for (Object o : interfaces) {
      JsonObject n = (JsonObject) o;
      if (!n.getBoolean("loopback", false)) {
        rx += n.getDouble("rxBytesPerSecond", 0.0);
        tx += n.getDouble("txBytesPerSecond", 0.0);
      }
    }
    return new JsonObject().put("rxBytesPerSecond", cents(rx)).put("txBytesPerSecond", cents(tx));
  }

  private static double cents(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
