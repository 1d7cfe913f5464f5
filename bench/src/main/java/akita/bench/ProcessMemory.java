package akita.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Memory figures of a process, read the way an operator would: from /proc and with {@code jcmd}. */
final class ProcessMemory {

  private static final Pattern KB = Pattern.compile("^(\\w+):\\s+(\\d+)\\s+kB$");
  /** G1: {@code garbage-first heap   total 262144K, used 123456K [...]}; other collectors print alike. */
  private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total\\s+(\\d+)K,\\s+used\\s+(\\d+)K");

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
   * ({@code jcmd PID GC.heap_info}).
   *
   * @param pid the JVM's process id
   * @return bytes in use after the collection
   * @throws IOException if jcmd is missing or its answer cannot be read
   */
  static long liveHeapBytes(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher m = HEAP_USED.matcher(info);
    if (!m.find()) {
      throw new IOException("cannot read the used heap from jcmd GC.heap_info:\n" + info);
    }
    return Long.parseLong(m.group(2)) * 1024;
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
