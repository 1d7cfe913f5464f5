package akita.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Memory and CPU figures of a process, read the way an operator would: from /proc and with {@code jcmd}. */
final class ProcessMemory {

  private static final Pattern KB = Pattern.compile("^(\\w+):\\s+(\\d+)\\s+kB$");
  /**
   * A heap or generation line: G1 prints {@code garbage-first heap   total 262144K, used 123456K [...]}, the
   * serial and parallel collectors one such line per generation.
   */
  private static final Pattern HEAP_USED = Pattern.compile("total\\s+\\d+K,\\s+used\\s+(\\d+)K");
  /** A class histogram line: {@code    1:       1234567       12345678  [B (java.base@17)}. */
  /** HotSpot's JIT compiler threads as /proc names them: {@code C2 CompilerThread0} cut to 15 characters. */
  private static final Pattern COMPILER_THREAD = Pattern.compile("C[12] CompilerThre.*");
  private static final Pattern HISTOGRAM_LINE = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

  private ProcessMemory() {
  }

  /**
   * The peak resident set size of a process (VmHWM in /proc/PID/status).
   *
   * @param pid the process id ({@link ProcessHandle#current()} for this JVM)
   * @return MiB, or -1 where /proc cannot tell (not Linux, the process has ended)
   */
  static double peakRssMiB(long pid) {
    return statusKb(pid, "VmHWM") / 1024.0;
  }

  /**
   * The CPU time a process has used so far, user and system, from /proc/PID/stat (fields 14 and 15, in clock
   * ticks of 1/100 s on Linux).
   *
   * @param pid the process id
   * @return milliseconds, or -1 where /proc cannot tell
   */
  static long cpuMs(long pid) {
    return statCpuMs(Path.of("/proc", String.valueOf(pid), "stat"));
  }

  /**
   * The CPU time a JVM's JIT compiler threads have used so far: the threads of /proc/PID/task named
   * {@code C1 CompilerThre...} or {@code C2 CompilerThre...} (HotSpot's names, cut to 15 characters). HotSpot
   * stops idle compiler threads, and their time leaves the sum: compare two readings over a busy stretch.
   *
   * @param pid the JVM's process id
   * @return milliseconds, or -1 where /proc cannot tell
   */
  static long compilerCpuMs(long pid) {
    Path tasks = Path.of("/proc", String.valueOf(pid), "task");
    long sum = 0;
    try (Stream<Path> threads = Files.list(tasks)) {
      for (Path t : (Iterable<Path>) threads::iterator) {
        String comm;
        try {
          comm = Files.readString(t.resolve("comm")).trim();
        } catch (IOException e) {
          continue; // the thread ended meanwhile
        }
        if (COMPILER_THREAD.matcher(comm).matches()) {
          sum += Math.max(0, statCpuMs(t.resolve("stat")));
        }
      }
      return sum;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** @return user plus system milliseconds from a /proc stat file, or -1 */
  private static long statCpuMs(Path file) {
    try {
      String stat = Files.readAllLines(file).get(0);
      // The command name (field 2) may hold spaces; the fields after it start behind its closing parenthesis.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** @return a field of /proc/PID/status in kB, or -1024 (so that MiB come out as -1) */
  static long statusKb(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
        Matcher m = KB.matcher(line);
        if (m.matches() && m.group(1).equals(field)) {
          return Long.parseLong(m.group(2));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1024;
  }

  /**
   * The live heap of another JVM: a full collection ({@code jcmd PID GC.run}), then the used heap
   * ({@code jcmd PID GC.heap_info}, all generations).
   *
   * @param pid the JVM's process id
   * @return bytes in use after the collection
   * @throws IOException if jcmd is missing or its answer cannot be read
   */
  static long liveHeapBytes(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    return usedHeapKb(jcmd(pid, "GC.heap_info")) * 1024;
  }

  /** @return the used kB in {@code jcmd GC.heap_info}'s answer, all generations added up */
  static long usedHeapKb(String info) throws IOException {
    Matcher m = HEAP_USED.matcher(info);
    long usedKb = 0;
    boolean found = false;
    while (m.find()) {
      usedKb += Long.parseLong(m.group(1));
      found = true;
    }
    if (!found) {
      throw new IOException("cannot read the used heap from jcmd GC.heap_info (G1, serial or parallel GC):\n" + info);
    }
    return usedKb;
  }

  /**
   * The classes that take the most heap in another JVM ({@code jcmd PID GC.class_histogram}, which collects
   * first).
   *
   * @param pid the JVM's process id
   * @param top how many classes
   * @return {@code [{"class", "instances", "bytes"}]}, largest first
   * @throws IOException if jcmd is missing or failed
   */
  static JsonArray topClasses(long pid, int top) throws IOException, InterruptedException {
    return topClasses(jcmd(pid, "GC.class_histogram"), top);
  }

  /** @return the first {@code top} classes of {@code jcmd GC.class_histogram}'s answer */
  static JsonArray topClasses(String histogram, int top) {
    JsonArray out = new JsonArray();
    for (String line : histogram.split("\n")) {
      Matcher m = HISTOGRAM_LINE.matcher(line);
      if (m.find() && out.size() < top) {
        out.add(new JsonObject().put("class", m.group(3)).put("instances", Long.parseLong(m.group(1)))
            .put("bytes", Long.parseLong(m.group(2))));
      }
    }
    return out;
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(List.of(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd",
        String.valueOf(pid), command)).redirectErrorStream(true).start();
    // jcmd's answers are short: read them to the end, then collect the exit code.
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + pid + " " + command + " did not finish in 120 s");
    }
    if (p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " " + command + " failed: " + out);
    }
    return out;
  }
}
