package akita.node.config;

/** A host and a port, such as a Hazelcast member address. IPv6 literals are written {@code [::1]:5701}. */
public record HostPort(String host, int port) {

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
