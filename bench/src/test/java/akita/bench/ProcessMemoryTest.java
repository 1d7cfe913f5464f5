package akita.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Reading memory figures the way the JDK's tools print them. */
class ProcessMemoryTest {

  /** Verifies the used heap of G1 (one line) and of the serial collector (one line per generation). */
  @Test
  void usedHeapOfG1AndSerial() throws IOException {
    assertEquals(123456, ProcessMemory.usedHeapKb("""
        1234:
         garbage-first heap   total 262144K, used 123456K [0x00000000c0000000, 0x0000000100000000)
          region size 1024K, 3 young (3072K), 0 survivors (0K)
         Metaspace       used 43137K, committed 43648K, reserved 1114112K
        """));
    assertEquals(3231 + 18112, ProcessMemory.usedHeapKb("""
        27246:
         def new generation   total 78656K, used 3231K [0x00000000f0000000, 0x00000000f5550000)
          eden space 69952K,   4% used [0x00000000f0000000, 0x00000000f0327f70, 0x00000000f4450000)
         tenured generation   total 174784K, used 18112K [0x00000000f5550000, 0x0000000100000000)
           the space 174784K,  10% used [0x00000000f5550000, 0x00000000f6700228, 0x0000000100000000)
         Metaspace       used 43137K, committed 43648K, reserved 1114112K
        """));
    assertThrows(IOException.class, () -> ProcessMemory.usedHeapKb(" ZHeap used 28M, capacity 256M"));
  }

  /** Verifies the largest classes of a class histogram, in its order. */
  @Test
  void topClassesOfAHistogram() {
    JsonArray top = ProcessMemory.topClasses("""
        1234:
         num     #instances         #bytes  class name (module)
        -------------------------------------------------------
           1:       1000000       96000000  [B (java.base@17.0.15)
           2:        500000       24000000  java.lang.String (java.base@17.0.15)
           3:         10000         480000  io.vertx.core.json.JsonObject
        """, 2);
    assertEquals(2, top.size());
    assertEquals(new JsonObject().put("class", "[B").put("instances", 1_000_000L).put("bytes", 96_000_000L),
        top.getJsonObject(0));
    assertTrue(top.getJsonObject(1).getString("class").equals("java.lang.String"));
  }

  /** Verifies that this JVM's peak RSS is read from /proc (on Linux). */
  @Test
  void peakRssOfThisJvm() {
    double mib = ProcessMemory.peakRssMiB(ProcessHandle.current().pid());
    if (System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      assertTrue(mib > 10 && mib < 100_000, String.valueOf(mib));
    } else {
      assertEquals(-1.0, mib);
    }
  }

  /**
   * Verifies the JIT compilers' CPU time of this JVM is read from its threads (on Linux): it grows while new code
   * is compiled, and stays within the process's own CPU time.
   */
  @Test
  void compilerCpuOfThisJvm() {
    long pid = ProcessHandle.current().pid();
    if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      assertEquals(-1, ProcessMemory.compilerCpuMs(pid));
      return;
    }
    long before = ProcessMemory.compilerCpuMs(pid);
    assertTrue(before >= 0, String.valueOf(before));
    // Code the JIT has not seen: a few thousand distinct lambdas' worth of work keeps the compilers busy.
    long deadline = System.nanoTime() + 20_000_000_000L;
    long after = before;
    long sink = 0;
    while (after <= before && System.nanoTime() < deadline) {
      for (int i = 0; i < 200_000; i++) {
        sink += java.util.stream.IntStream.range(0, 50).map(x -> x * 31 + 7).filter(x -> x % 3 != 0).sum();
        sink ^= String.valueOf(sink).hashCode();
      }
      after = ProcessMemory.compilerCpuMs(pid);
    }
    assertTrue(after > before, "the compilers worked: " + before + " -> " + after + " ms (" + sink + ")");
    assertTrue(after <= ProcessMemory.cpuMs(pid), after + " ms within the process's " + ProcessMemory.cpuMs(pid));
  }
}
