package akita.node.ledger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The ledger's hash chain: each entry's hash covers the previous entry's hash and every field of its own, so
 * changing, removing or inserting an entry breaks every link after it.
 */
public final class LedgerChain {

  /** The previous hash of the first entry. */
  public static final String GENESIS = "0".repeat(64);

  private LedgerChain() {
  }

  /**
   * @return the hex SHA-256 of the entry's fields and the previous hash
   */
  public static String hash(String prevHash, long seq, long time, String type, String nodeId, String subject,
      long term, String data) {
    String canonical = prevHash + '\n' + seq + '\n' + time + '\n' + type + '\n' + nodeId + '\n'
        + (subject == null ? "" : subject) + '\n' + term + '\n' + data;
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
