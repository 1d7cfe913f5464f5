package akita.api.transport;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.pf4j.ExtensionPoint;

/**
 * Carries the cluster's messages over a link that Hazelcast cannot use: TCP through NAT, Reticulum over a
 * radio or a serial line. Implementations are PF4J extensions in a transport plugin; the node's gateway
 * starts each one, learns peers from it and sends frames through it.
 *
 * <p>Every method is called on an event loop and must not block it.
 */
public interface Transport extends ExtensionPoint {

  /**
   * A short, stable id such as {@code "tcp"} or {@code "reticulum"}; unique among the node's transports.
   *
   * @return the transport id
   */
  String id();

  /**
   * Opens the transport's links. Discovered peers and received frames are reported to the context from now
   * until {@link #stop()}.
   *
   * @param context the gateway's side of the transport
   * @return a future that completes when the transport can send
   */
  Future<Void> start(TransportContext context);

  /**
   * Closes every link; nothing is reported to the context afterwards.
   *
   * @return a future that completes when the transport has stopped
   */
  Future<Void> stop();

  /**
   * The largest frame {@link #send(String, Buffer)} accepts, in bytes (for example about 400 on Reticulum).
   *
   * @return the maximum transmission unit
   */
  int mtu();

  /**
   * Whether frames are encrypted and authenticated on the link itself (mutual TLS, Reticulum links).
   *
   * @return {@code true} if the link protects what it carries
   */
  boolean encrypted();

  /**
   * Sends one frame to a peer.
   *
   * @param peerId the peer, as reported to {@link TransportContext#peerDiscovered(Peer)}
   * @param frame at most {@link #mtu()} bytes
   * @return a future that completes when the frame is handed to the link (not when it is delivered), or
   *     fails with {@link TransportException}
   */
  Future<Void> send(String peerId, Buffer frame);

  /**
   * Sends a JSON message as one frame (UTF-8).
   *
   * @param peerId the peer
   * @param message the message; its encoding must fit in {@link #mtu()}
   * @return as {@link #send(String, Buffer)}
   */
  default Future<Void> send(String peerId, JsonObject message) {
    return send(peerId, message.toBuffer());
  }
}
