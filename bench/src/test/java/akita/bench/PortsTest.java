package akita.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {

  /**
   * Five hundred ports drawn from the twelve thousand below the ephemeral range would repeat one almost surely
   * (the birthday bound) if the chooser did not remember what it handed out; a repeat gave two processes of one
   * cluster the same port in CI.
   */
  @Test
  void neverHandsOutAPortTwice() {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      int port = Ports.free();
      assertTrue(seen.add(port), "port " + port + " handed out twice, after " + i + " others");
    }
    assertEquals(500, seen.size());
  }

  @Test
  void aHandedOutPortCanBeBound() throws IOException {
    int port = Ports.free();
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      assertEquals(port, s.getLocalPort());
    }
  }
}
