package akita.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the figures were measured on: CPUs, memory, JDK and how busy the machine was. */
final class Machine {

  private Machine() {
  }

  /** @return {@code {"cpus", "cpuModel", "memoryMiB", "jdk", "os", "loadAverage"}} */
  static JsonObject describe() {
    return new JsonObject()
        .put("cpus", Runtime.getRuntime().availableProcessors())
        .put("cpuModel", cpuModel())
        .put("memoryMiB", memTotalKb() / 1024)
        .put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
        .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
            + System.getProperty("os.arch"))
        .put("loadAverage", loadAverage());
  }

  /** @return the 1-, 5- and 15-minute load averages from /proc/loadavg, as text; "" where unknown */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String cpuModel() {
    for (String line : lines("/proc/cpuinfo")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return System.getProperty("os.arch");
  }

  private static long memTotalKb() {
    for (String line : lines("/proc/meminfo")) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  private static List<String> lines(String file) {
    try {
      return Files.readAllLines(Path.of(file));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
