package akita.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports for the processes and members a benchmark starts on loopback. */
public final class Ports {

  private Ports() {
  }

  /**
   * @return a port free on 127.0.0.1 now, below the kernel's ephemeral range (where it exists): a port from that
   *     range can be taken by an outgoing connection between choosing it and binding it, which a fleet of a
   *     hundred members opening thousands of connections does
   */
  public static int free() {
    int below = ephemeralLow();
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int i = 0; below > 20_000 && i < 200; i++) {
      int port = random.nextInt(20_000, below);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException e) {
        // taken: try another
      }
    }
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
  }}
