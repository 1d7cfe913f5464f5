package akita.node.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Linux network namespace joined to the host by two veth pairs, made with {@code ip(8)} and removed on
 * close: a cluster link ({@code 10.213.S.1} on the host, {@code 10.213.S.2} inside) that a test can cut and
 * heal to partition whatever runs inside, and an API link ({@code 10.213.S.5} / {@code 10.213.S.6}) that stays
 * up so the test can still watch the isolated side. Needs root.
 */
public final class NetNamespace implements AutoCloseable {

  private final String name;
  private final int subnet;
  private final String hostLink;
  private final String nsLink;
  private final String hostApiLink;
  private final String nsApiLink;
  private final List<String> cleanup = new ArrayList<>();

  private NetNamespace(String name, int subnet, String tag) {
    this.name = name;
    this.subnet = subnet;
    this.hostLink = tag + "hc";
    this.nsLink = tag + "nc";
    this.hostApiLink = tag + "ha";
    this.nsApiLink = tag + "na";
  }

  /**
   * @return why namespaces cannot be made here (not root, no {@code ip}, no namespace support), or null when
   *     they can
   */
  public static String unavailableReason() {
    try {
      Result id = run("id", "-u");
      if (!id.output().strip().equals("0")) {
        return "network namespaces need root; this test runs as uid " + id.output().strip();
      }
      Result ip = run("ip", "netns", "list");
      if (ip.exitCode() != 0) {
        return "'ip netns' does not work here: " + ip.output().strip();
      }
      return null;
    } catch (Exception e) {
      return "cannot run ip(8): " + e;
    }
  }

  /**
   * Creates a namespace named {@code akita-chaos-<pid>} with its two links, on a 10.213.S.0/29 that no
   * interface of the host uses.
   *
   * @return the namespace
   */
  public static NetNamespace create() throws Exception {
    long pid = ProcessHandle.current().pid();
    String addrs = run("ip", "-o", "addr").output();
    int subnet = (int) (pid % 200) + 20;
    while (addrs.contains("10.213." + subnet + ".")) {
      subnet = subnet % 250 + 1;
    }
    NetNamespace ns = new NetNamespace("akita-chaos-" + pid, subnet, "akc" + pid % 10_000_000);
    try {
      ns.setUp();
    } catch (Exception e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  private void setUp() throws Exception {
    must("ip", "netns", "add", name);
    cleanup.add(0, "ip netns del " + name);
    must("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    link(hostLink, nsLink, 0);
    link(hostApiLink, nsApiLink, 4);
  }

  private void link(String host, String inside, int offset) throws Exception {
    must("ip", "link", "add", host, "type", "veth", "peer", "name", inside);
    cleanup.add(0, "ip link del " + host);
    must("ip", "link", "set", inside, "netns", name);
    must("ip", "addr", "add", address(offset + 1) + "/30", "dev", host);
    must("ip", "link", "set", host, "up");
    must("ip", "netns", "exec", name, "ip", "addr", "add", address(offset + 2) + "/30", "dev", inside);
    must("ip", "netns", "exec", name, "ip", "link", "set", inside, "up");
  }

  private String address(int last) {
    return "10.213." + subnet + "." + last;
  }

  /** @return the namespace's name */
  public String name() {
    return name;
  }

  /** @return the host's address on the cluster link */
  public String hostAddress() {
    return address(1);
  }

  /** @return the namespace's address on the cluster link */
  public String insideAddress() {
    return address(2);
  }

  /** @return the namespace's address on the API link, which is never cut */
  public String insideApiAddress() {
    return address(6);
  }

  /** @return the words that run a command inside the namespace */
  public List<String> execPrefix() {
    return List.of("ip", "netns", "exec", name);
  }

  /**
   * Cuts the cluster link (inside end down): packets from the host to the inside address are dropped, and
   * the inside has no route to the host's cluster address.
   */
  public void cut() throws Exception {
    must("ip", "netns", "exec", name, "ip", "link", "set", nsLink, "down");
  }

  /** Restores the cluster link. */
  public void heal() throws Exception {
    must("ip", "netns", "exec", name, "ip", "link", "set", nsLink, "up");
  }

  /** Removes the links and the namespace (whatever of them exists). */
  @Override
  public void close() {
    for (String cmd : cleanup) {
      try {
        Result r = run(cmd.split(" "));
        if (r.exitCode() != 0) {
          System.err.println("cleanup '" + cmd + "' failed: " + r.output());
        }
      } catch (Exception e) {
        System.err.println("cleanup '" + cmd + "' failed: " + e);
      }
    }
    cleanup.clear();
  }

  private record Result(int exitCode, String output) {
  }

  private static void must(String... cmd) throws Exception {
    Result r = run(cmd);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.exitCode() + "): " + r.output());
    }
  }

  private static Result run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
