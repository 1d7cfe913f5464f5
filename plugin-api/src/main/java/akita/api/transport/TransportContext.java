package akita.api.transport;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.slf4j.Logger;

/** The gateway's side of a {@link Transport}: where it reports peers and frames. */
public interface TransportContext {

  /**
   * The node's Vert.x instance. Do not close it.
   *
   * @return the Vert.x instance
   */
  Vertx vertx();

  /**
   * The transport's configuration from the node's config.
   *
   * @return the configuration, read-only
   */
  JsonObject config();

  /**
   * A folder that belongs to this transport on this node (keys, identities) and survives restarts.
   *
   * @return the transport's data folder
   */
  Path dataDir();

  /**
   * A logger whose events carry the transport's id.
   *
   * @return the logger
   */
  Logger logger();

  /**
   * Reports a peer that can now be reached, or whose details changed.
   *
   * @param peer the peer
   */
  void peerDiscovered(Peer peer);

  /**
   * Reports a peer that can no longer be reached.
   *
   * @param peerId the peer's id
   */
  void peerLost(String peerId);

  /**
   * Hands a received frame to the gateway.
   *
   * @param peerId the peer it came from
   * @param frame the frame's bytes
   */
  void received(String peerId, Buffer frame);
}
