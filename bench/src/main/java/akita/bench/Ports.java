package akita.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Ports for the processes and members a benchmark starts on loopback. */
public final class Ports {

  /**
   * Every port handed out in this JVM. A port is chosen by binding it and closing it again, so without this the
   * same port could come back twice for two processes of one cluster (CI saw a node's API port equal another
   * node's member port); it is never handed out again, whether or not its taker still uses it.
   */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private Ports() {
  }

  /**
   * @return a port free on 127.0.0.1 now and not handed out before in this JVM, below the kernel's ephemeral range
   *     (where it exists): a port from that range can be taken by an outgoing connection between choosing it and
   *     binding it, which a fleet of a hundred members opening thousands of connections does
   */
  public static int free() {
    int below = ephemeralLow();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; below > 20_000 && i < 200; i++) {
      int port = random.nextInt(20_000, below);
      if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
        return port;
      }
    }
    for (int i = 0; i < 200; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        if (HANDED_OUT.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no free loopback port that was not handed out before");
  }

  /** @return whether a listening socket on 127.0.0.1 could take {@code port} just now */
  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** @return the low end of Linux's ephemeral port range, or 0 when it cannot be read */
  private static int ephemeralLow() {
    try {
      // Read as lines: /proc reports a size of 0, and Files.readString then stops after the first byte.
      return Integer.parseInt(java.nio.file.Files.readAllLines(java.nio.file.Path.of(
          "/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
