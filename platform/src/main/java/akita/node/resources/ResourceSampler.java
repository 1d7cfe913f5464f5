package akita.node.resources;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.CentralProcessor.TickType;
import oshi.hardware.GlobalMemory;
import oshi.hardware.HWDiskStore;
import oshi.hardware.HWPartition;
import oshi.hardware.HardwareAbstractionLayer;
import oshi.hardware.NetworkIF;
import oshi.software.os.FileSystem;
import oshi.software.os.OSFileStore;
import oshi.software.os.OSProcess;

/**
 * Reads this machine's resources with OSHI into one JSON sample (shape: docs/resources.md). Rates (CPU busy
 * fraction, disk and network bytes and packets per second) cover the time since the previous sample, or since
 * the sampler was built for the first one, so every sample carries real rates.
 *
 * <p>Every method blocks (it reads /proc and /sys, or calls native code through JNA, and OSHI's set-up takes
 * most of a second), so build and use a sampler on a worker thread only, and from one thread at a time.
 */
final class ResourceSampler implements ResourcesVerticle.Source {

  /** How often the lists of mounts, disks and network interfaces are read again (listing mounts runs lsblk). */
  private static final long RELIST_NS = TimeUnit.SECONDS.toNanos(60);
  /** Memory-backed or virtual file systems that OSHI lists but that are not disks. */
  private static final Set<String> SKIPPED_FS_TYPES = Set.of("tmpfs", "devtmpfs", "ramfs", "squashfs", "nsfs");

  private final CentralProcessor cpu;
  private final GlobalMemory memory;
  private final HardwareAbstractionLayer hal;
  private final FileSystem fileSystem;
  private final OSProcess self;

  private long[] ticks;
  private long[][] coreTicks;
  private long listedAt;
  private List<Mount> mounts = List.of();
  private List<HWDiskStore> disks = List.of();
  private List<NetworkIF> interfaces = List.of();
  private Set<String> loopbacks = Set.of();
  private final Map<String, long[]> diskCounters = new HashMap<>();
  private final Map<String, long[]> netCounters = new HashMap<>();
  private long readAtNs;

  /** A mounted file system worth reporting, and the disk (OSHI disk store name) it sits on, if known. */
  private record Mount(String path, String type, String volume, String disk) {
  }

  /** Sets OSHI up and takes the baseline the first sample's rates are measured from. Blocks. */
  ResourceSampler() {
    SystemInfo si = new SystemInfo();
    hal = si.getHardware();
    cpu = hal.getProcessor();
    memory = hal.getMemory();
    fileSystem = si.getOperatingSystem().getFileSystem();
    self = si.getOperatingSystem().getCurrentProcess();
    relist(System.nanoTime());
    ticks = cpu.getSystemCpuLoadTicks();
    coreTicks = cpu.getProcessorCpuLoadTicks();
    readAtNs = System.nanoTime();
    counters(readAtNs, 0);
  }

  @Override
  public JsonObject sample() {
    long time = System.currentTimeMillis();
    long now = System.nanoTime();
    if (now - listedAt >= RELIST_NS) {
      relist(now);
    }
    double seconds = Math.max(1e-3, (now - readAtNs) / 1e9);
    readAtNs = now;

    long[] t = cpu.getSystemCpuLoadTicks();
    long[][] ct = cpu.getProcessorCpuLoadTicks();
    JsonArray perCore = new JsonArray();
    for (int i = 0; i < ct.length; i++) {
      perCore.add(round(busy(i < coreTicks.length ? coreTicks[i] : new long[ct[i].length], ct[i]), 4));
    }
    JsonObject cpuJson = new JsonObject().put("total", round(busy(ticks, t), 4)).put("perCore", perCore)
        .put("cores", cpu.getLogicalProcessorCount());
    ticks = t;
    coreTicks = ct;

    long total = memory.getTotal();
    long available = memory.getAvailable();
    Map<String, JsonObject> rates = counters(now, seconds);
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return new JsonObject()
        .put("time", time)
        .put("intervalMs", Math.round(seconds * 1000))
        .put("cpu", cpuJson)
        .put("loadAverage", loadAverage())
        .put("memory", new JsonObject().put("totalBytes", total).put("availableBytes", available)
            .put("usedBytes", total - available))
        .put("swap", new JsonObject().put("totalBytes", memory.getVirtualMemory().getSwapTotal())
            .put("usedBytes", memory.getVirtualMemory().getSwapUsed()))
        .put("disks", disks(rates))
        .put("network", network(rates))
        .put("openFileDescriptors", known(self.getOpenFiles()))
        .put("maxFileDescriptors", known(self.getSoftOpenFileLimit()))
        .put("systemOpenFileDescriptors", known(fileSystem.getOpenFileDescriptors()))
        .put("systemMaxFileDescriptors", known(fileSystem.getMaxFileDescriptors()))
        .put("jvm", new JsonObject().put("heapUsedBytes", heap.getUsed()).put("heapCommittedBytes", heap.getCommitted())
            .put("heapMaxBytes", heap.getMax() < 0 ? null : heap.getMax()));
  }

  /** The busy fraction between two tick readings, as OSHI computes it: idle and I/O wait count as idle. */
  static double busy(long[] before, long[] after) {
    long total = 0;
    for (int i = 0; i < after.length; i++) {
      total += after[i] - before[i];
    }
    long idle = after[TickType.IDLE.getIndex()] - before[TickType.IDLE.getIndex()]
        + after[TickType.IOWAIT.getIndex()] - before[TickType.IOWAIT.getIndex()];
    return total > 0 ? Math.max(0, Math.min(1, (double) (total - idle) / total)) : 0;
  }

  private JsonArray loadAverage() {
    double[] l = cpu.getSystemLoadAverage(3);
    JsonArray a = new JsonArray();
    for (double v : l) {
      if (v < 0) {
        return null; // OSHI reports a negative value where the OS has no load average (Windows)
      }
      a.add(round(v, 2));
    }
    return a;
  }

  private JsonArray disks(Map<String, JsonObject> rates) {
    JsonArray out = new JsonArray();
    for (Mount m : mounts) {
      File f = new File(m.path());
      long total = f.getTotalSpace();
      if (total == 0) {
        continue; // unmounted since the last listing, or not readable
      }
      JsonObject io = m.disk() == null ? null : rates.get("disk:" + m.disk());
      out.add(new JsonObject().put("mount", m.path()).put("type", m.type()).put("volume", m.volume())
          .put("device", m.disk()).put("totalBytes", total)
          .put("freeBytes", f.getUsableSpace()).put("usedBytes", total - f.getFreeSpace())
          .put("readBytesPerSecond", io == null ? null : io.getDouble("read"))
          .put("writeBytesPerSecond", io == null ? null : io.getDouble("write")));
    }
    return out;
  }

  private JsonArray network(Map<String, JsonObject> rates) {
    JsonArray out = new JsonArray();
    for (NetworkIF n : interfaces) {
      JsonObject r = rates.get("net:" + n.getName());
      if (r == null) {
        continue;
      }
      out.add(new JsonObject().put("name", n.getName()).put("loopback", loopbacks.contains(n.getName()))
          .put("rxBytesPerSecond", r.getDouble("rxBytes")).put("txBytesPerSecond", r.getDouble("txBytes"))
          .put("rxPacketsPerSecond", r.getDouble("rxPackets")).put("txPacketsPerSecond", r.getDouble("txPackets"))
          .put("rxBytes", n.getBytesRecv()).put("txBytes", n.getBytesSent()));
    }
    return out;
  }

  /**
   * Reads the disk and interface counters and turns them into per-second rates against the previous reading.
   * A counter that went backwards (a device was replaced, a counter wrapped) gives 0 for that interval.
   *
   * @return rates by {@code disk:NAME} ({@code read}, {@code write}) and {@code net:NAME} ({@code rxBytes},
   *     {@code txBytes}, {@code rxPackets}, {@code txPackets})
   */
  private Map<String, JsonObject> counters(long now, double seconds) {
    Map<String, JsonObject> rates = new HashMap<>();
    Map<String, long[]> seenDisks = new HashMap<>();
    for (HWDiskStore d : disks) {
      if (!d.updateAttributes()) {
        continue;
      }
      long[] c = {d.getReadBytes(), d.getWriteBytes()};
      long[] prev = diskCounters.get(d.getName());
      seenDisks.put(d.getName(), c);
      rates.put("disk:" + d.getName(), new JsonObject().put("read", rate(prev, c, 0, seconds))
          .put("write", rate(prev, c, 1, seconds)));
    }
    diskCounters.clear();
    diskCounters.putAll(seenDisks);
    Map<String, long[]> seenNets = new HashMap<>();
    for (NetworkIF n : interfaces) {
      if (!n.updateAttributes()) {
        continue;
      }
      long[] c = {n.getBytesRecv(), n.getBytesSent(), n.getPacketsRecv(), n.getPacketsSent()};
      long[] prev = netCounters.get(n.getName());
      seenNets.put(n.getName(), c);
      rates.put("net:" + n.getName(), new JsonObject().put("rxBytes", rate(prev, c, 0, seconds))
          .put("txBytes", rate(prev, c, 1, seconds)).put("rxPackets", rate(prev, c, 2, seconds))
          .put("txPackets", rate(prev, c, 3, seconds)));
    }
    netCounters.clear();
    netCounters.putAll(seenNets);
    return rates;
  }

  /** A per-second rate; 0 without a previous reading or when the counter went backwards. */
  private static double rate(long[] prev, long[] now, int i, double seconds) {
    if (prev == null || now[i] < prev[i] || seconds <= 0) {
      return 0;
    }
    return round((now[i] - prev[i]) / seconds, 2);
  }

  /** Reads the lists of mounts, disks and network interfaces again (they change rarely). */
  private void relist(long now) {
    listedAt = now;
    disks = hal.getDiskStores();
    interfaces = hal.getNetworkIFs(true);
    Set<String> lo = new java.util.HashSet<>();
    for (NetworkIF n : interfaces) {
      try {
        if (n.queryNetworkInterface().isLoopback()) {
          lo.add(n.getName());
        }
      } catch (java.net.SocketException | RuntimeException e) {
        // gone already, or not readable: count it as not loopback
      }
    }
    loopbacks = Set.copyOf(lo);
    Map<String, String> diskOf = new HashMap<>();
    for (HWDiskStore d : disks) {
      device(diskOf, d.getName(), d.getName());
      for (HWPartition p : d.getPartitions()) {
        device(diskOf, p.getIdentification(), d.getName());
      }
    }
    // A device mounted at several places (bind mounts) is listed once, at its shortest mount path, as df does.
    Map<String, Mount> byVolume = new LinkedHashMap<>();
    List<OSFileStore> stores = new ArrayList<>(fileSystem.getFileStores(true));
    stores.sort(Comparator.comparingInt((OSFileStore s) -> s.getMount().length()).thenComparing(OSFileStore::getMount));
    for (OSFileStore s : stores) {
      String type = s.getType().toLowerCase(Locale.ROOT);
      if (SKIPPED_FS_TYPES.contains(type) || byVolume.containsKey(s.getVolume())
          || !Files.isDirectory(Path.of(s.getMount()))) {
        continue;
      }
      String disk = diskOf.get(s.getVolume());
      if (disk == null && !s.getLogicalVolume().isEmpty()) {
        disk = diskOf.get(s.getLogicalVolume());
      }
      if (disk == null) {
        disk = diskOf.get(realPath(s.getVolume()));
      }
      byVolume.put(s.getVolume(), new Mount(s.getMount(), type, s.getVolume(), disk));
    }
    mounts = List.copyOf(byVolume.values());
  }

  /** Maps a device path, and the path its links resolve to, to a disk. */
  private static void device(Map<String, String> diskOf, String path, String disk) {
    if (path == null || path.isEmpty()) {
      return;
    }
    diskOf.putIfAbsent(path, disk);
    String real = realPath(path);
    if (real != null) {
      diskOf.putIfAbsent(real, disk);
    }
  }

  private static String realPath(String path) {
    if (!path.startsWith("/dev/")) {
      return null;
    }
    try {
      return Path.of(path).toRealPath().toString();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** OSHI answers -1 (or 0 for the system-wide counts) where the OS does not say. */
  private static Long known(long v) {
    return v <= 0 ? null : v;
  }

  private static double round(double v, int places) {
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
