package akita.node.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The OSHI sampler against the operating system's own numbers (/proc, df, java.nio), on Linux, where those
 * sources exist. Each figure is read from both sides close together; only figures that move by themselves
 * (free space, open descriptors, load) get a tolerance.
 */
@EnabledOnOs(OS.LINUX)
class ResourceSamplerTest {

  private static ResourceSampler sampler;

  @BeforeAll
  static void setUp() {
    sampler = new ResourceSampler();
  }

  private static long meminfoBytes(String key) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith(key + ":")) {
        return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    }
    throw new AssertionError(key + " is not in /proc/meminfo");
  }

  /** Verifies memory and swap totals equal MemTotal and SwapTotal from /proc/meminfo, and used = total - available. */
  @Test
  void memoryAndSwapMatchProcMeminfo() throws Exception {
    JsonObject s = sampler.sample();
    JsonObject memory = s.getJsonObject("memory");
    assertEquals(meminfoBytes("MemTotal"), memory.getLong("totalBytes"));
    assertEquals(memory.getLong("totalBytes") - memory.getLong("availableBytes"), memory.getLong("usedBytes"));
    long available = meminfoBytes("MemAvailable");
    assertTrue(Math.abs(available - memory.getLong("availableBytes")) < memory.getLong("totalBytes") / 20,
        "available " + memory.getLong("availableBytes") + " vs MemAvailable " + available);
    JsonObject swap = s.getJsonObject("swap");
    assertEquals(meminfoBytes("SwapTotal"), swap.getLong("totalBytes"));
    assertTrue(swap.getLong("usedBytes") >= 0 && swap.getLong("usedBytes") <= swap.getLong("totalBytes"));
  }

  /** Verifies the core count equals /proc/cpuinfo's processors and every busy fraction lies in 0..1. */
  @Test
  void cpuMatchesProcCpuinfo() throws Exception {
    JsonObject cpu = sampler.sample().getJsonObject("cpu");
    long processors;
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      processors = lines.filter(l -> l.startsWith("processor")).count();
    }
    assertEquals(processors, cpu.getInteger("cores").longValue());
    assertEquals(processors, cpu.getJsonArray("perCore").size());
    double total = cpu.getDouble("total");
    assertTrue(total >= 0 && total <= 1, "total " + total);
    for (Object c : cpu.getJsonArray("perCore")) {
      assertTrue(((Number) c).doubleValue() >= 0 && ((Number) c).doubleValue() <= 1, "core " + c);
    }
  }

  /** Verifies the load average is /proc/loadavg's three figures (which move slowly, so within a tolerance). */
  @Test
  void loadAverageMatchesProcLoadavg() throws Exception {
    JsonArray load = sampler.sample().getJsonArray("loadAverage");
    String[] proc = Files.readAllLines(Path.of("/proc/loadavg")).get(0).trim().split("\\s+");
    assertEquals(3, load.size());
    for (int i = 0; i < 3; i++) {
      double os = Double.parseDouble(proc[i]);
      double ours = load.getDouble(i);
      assertTrue(Math.abs(os - ours) <= Math.max(0.5, os * 0.2), "load[" + i + "] " + ours + " vs " + os);
    }
  }

  /** Verifies the process's open descriptors against /proc/self/fd and its limit against /proc/self/limits. */
  @Test
  void fileDescriptorsMatchProcSelf() throws Exception {
    JsonObject s = sampler.sample();
    long open;
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      open = fds.count();
    }
    long ours = s.getLong("openFileDescriptors");
    assertTrue(Math.abs(open - ours) <= 10, "open descriptors " + ours + " vs /proc/self/fd " + open);
    String limits = Files.readAllLines(Path.of("/proc/self/limits")).stream()
        .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
    assertEquals(Long.parseLong(limits.substring("Max open files".length()).trim().split("\\s+")[0]),
        s.getLong("maxFileDescriptors"));
    String fileNr = Files.readAllLines(Path.of("/proc/sys/fs/file-nr")).get(0).trim();
    assertEquals(Long.parseLong(fileNr.split("\\s+")[2]), s.getLong("systemMaxFileDescriptors"));
    assertTrue(s.getLong("systemOpenFileDescriptors") >= ours);
  }

  /**
   * Verifies every reported mount's size equals what java.nio's FileStore says, the root's size equals
   * {@code df -B1}, and no memory-backed file system is listed.
   */
  @Test
  void disksMatchFileStoreAndDf() throws Exception {
    JsonArray disks = sampler.sample().getJsonArray("disks");
    assertFalse(disks.isEmpty(), "no mount reported");
    for (Object o : disks) {
      JsonObject d = (JsonObject) o;
      Path mount = Path.of(d.getString("mount"));
      var store = Files.getFileStore(mount);
      assertEquals(store.getTotalSpace(), d.getLong("totalBytes"), "total of " + mount);
      assertTrue(Math.abs(store.getUsableSpace() - d.getLong("freeBytes")) < 256L << 20, "free of " + mount);
      assertTrue(d.getLong("usedBytes") >= 0 && d.getLong("usedBytes") <= d.getLong("totalBytes"));
      assertFalse(List.of("tmpfs", "devtmpfs", "proc", "sysfs").contains(d.getString("type")), d.encode());
    }
    JsonObject root = disks.stream().map(o -> (JsonObject) o).filter(d -> d.getString("mount").equals("/"))
        .findFirst().orElseThrow(() -> new AssertionError("/ is not reported: " + disks.encode()));
    Process df = new ProcessBuilder("df", "-B1", "--output=size,used", "/").redirectErrorStream(true).start();
    String out = new String(df.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(df.waitFor(10, TimeUnit.SECONDS) && df.exitValue() == 0, out);
    String[] figures = out.trim().split("\n")[1].trim().split("\\s+");
    assertEquals(Long.parseLong(figures[0]), root.getLong("totalBytes"), "df's size of /");
    assertTrue(Math.abs(Long.parseLong(figures[1]) - root.getLong("usedBytes")) < 256L << 20, "df's used of /: " + out);
  }

  /**
   * Verifies the disk under the build folder shows written bytes after the test writes and syncs 16 MiB
   * there (where OSHI can tell which disk a mount is on).
   */
  @Test
  void diskWritesShowInTheRates() throws Exception {
    Path target = Path.of("target").toAbsolutePath();
    JsonObject before = sampler.sample();
    JsonObject mount = mountOf(before.getJsonArray("disks"), target);
    Assumptions.assumeTrue(mount != null && mount.getString("device") != null,
        "the build folder's mount is not on a disk OSHI knows: " + mount);
    Path file = Files.createTempFile(target, "resources-io", ".bin");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
      for (int i = 0; i < 16; i++) {
        chunk.clear();
        ch.write(chunk);
      }
      ch.force(true);
    } finally {
      Files.deleteIfExists(file);
    }
    JsonObject after = mountOf(sampler.sample().getJsonArray("disks"), target);
    assertTrue(after.getDouble("writeBytesPerSecond") > 0, after.encode());
    assertTrue(after.getDouble("readBytesPerSecond") >= 0, after.encode());
  }

  private static JsonObject mountOf(JsonArray disks, Path path) {
    JsonObject best = null;
    for (Object o : disks) {
      JsonObject d = (JsonObject) o;
      if (path.startsWith(d.getString("mount"))
          && (best == null || d.getString("mount").length() > best.getString("mount").length())) {
        best = d;
      }
    }
    return best;
  }

  /**
   * Verifies the loopback interface is listed, its rates are never negative, and its received bytes rise by at
   * least what the test sends through a loopback socket.
   */
  @Test
  void loopbackTrafficShows() throws Exception {
    JsonObject lo = interfaceNamed(sampler.sample(), "lo");
    assertTrue(lo.getBoolean("loopback"));
    long sent = 4L << 20;
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket accepted = server.accept()) {
      OutputStream out = client.getOutputStream();
      InputStream in = accepted.getInputStream();
      byte[] buf = new byte[64 * 1024];
      long received = 0;
      for (long written = 0; written < sent; written += buf.length) {
        out.write(buf);
        received += in.readNBytes(buf, 0, buf.length);
      }
      assertEquals(sent, received);
    }
    JsonObject after = interfaceNamed(sampler.sample(), "lo");
    assertTrue(after.getLong("rxBytes") - lo.getLong("rxBytes") >= sent,
        "lo received " + (after.getLong("rxBytes") - lo.getLong("rxBytes")) + " bytes, sent " + sent);
    assertTrue(after.getDouble("rxBytesPerSecond") > 0 && after.getDouble("rxPacketsPerSecond") > 0, after.encode());
    for (String rate : List.of("rxBytesPerSecond", "txBytesPerSecond", "rxPacketsPerSecond", "txPacketsPerSecond")) {
      assertTrue(after.getDouble(rate) >= 0, rate);
    }
  }

  private static JsonObject interfaceNamed(JsonObject sample, String name) {
    return sample.getJsonArray("network").stream().map(o -> (JsonObject) o)
        .filter(n -> n.getString("name").equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(name + " is not listed: " + sample.getJsonArray("network").encode()));
  }

  /** Verifies the JVM figures and the sample's time and interval. */
  @Test
  void jvmAndTiming() {
    long before = System.currentTimeMillis();
    JsonObject s = sampler.sample();
    assertTrue(s.getLong("time") >= before && s.getLong("time") <= System.currentTimeMillis());
    assertTrue(s.getLong("intervalMs") >= 0);
    JsonObject jvm = s.getJsonObject("jvm");
    assertTrue(jvm.getLong("heapUsedBytes") > 0 && jvm.getLong("heapUsedBytes") <= jvm.getLong("heapCommittedBytes"));
    assertNotNull(jvm.getLong("heapMaxBytes"));
    double max = Runtime.getRuntime().maxMemory();
    assertEquals(max, jvm.getLong("heapMaxBytes").doubleValue(), max / 10);
  }

  /** Verifies the busy fraction: idle and I/O wait count as idle, no ticks elapsed is 0. */
  @Test
  void busyFraction() {
    long[] before = new long[8];
    long[] after = new long[8];
    after[0] = 30; // user
    after[2] = 10; // system
    after[3] = 50; // idle
    after[4] = 10; // iowait
    assertEquals(0.4, ResourceSampler.busy(before, after), 1e-9);
    assertEquals(0.0, ResourceSampler.busy(after, after));
  }
}
