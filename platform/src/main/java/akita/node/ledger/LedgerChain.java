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
   * @return the hex SHA-256 of the entry's fields and the previous hash: of the UTF-8 bytes of
   *     {@code prevHash \n seq \n time \n type \n nodeId \n subject \n term \n data}, a null subject as empty.
   *     Fed to the digest field by field through a reused buffer (every node hashes every entry, and the text
   *     would be built and copied twice only to be hashed)
   */
  public static String hash(String prevHash, long seq, long time, String type, String nodeId, String subject,
      long term, String data) {
    Hasher h = HASHER.get().reset();
    h.text(prevHash).nl().number(seq).nl().number(time).nl().text(type).nl().text(nodeId).nl()
        .text(subject == null ? "" : subject).nl().number(term).nl().text(data);
    return h.finish();
  }

  private static final ThreadLocal<Hasher> HASHER = ThreadLocal.withInitial(Hasher::new);

  /**
   * One thread's digest and buffer: short ASCII text goes in byte for byte, long or other text as its UTF-8
   * encoding.
   */
  private static final class Hasher {
    private static final HexFormat HEX = HexFormat.of();
    private final MessageDigest digest;
    private final byte[] buf = new byte[4096];
    private int len;

    Hasher() {
      try {
        digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    Hasher reset() {
      len = 0;
      digest.reset();
      return this;
    }

    /** A null is hashed as the text "null", as string concatenation writes it. */
    Hasher text(String str) {
      String s = String.valueOf(str);
      int n = s.length();
      if (n > 32) { // the JDK encodes a long string in one vectorized pass, faster than going char by char
        flush();
        digest.update(s.getBytes(StandardCharsets.UTF_8));
        return this;
      }
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          flush();
          digest.update(s.substring(i).getBytes(StandardCharsets.UTF_8));
          return this;
        }
        if (len == buf.length) {
          flush();
        }
        buf[len++] = (byte) c;
      }
      return this;
    }

    Hasher number(long v) {
      return text(Long.toString(v));
    }

    Hasher nl() {
      if (len == buf.length) {
        flush();
      }
      buf[len++] = '\n';
      return this;
    }

    private void flush() {
      digest.update(buf, 0, len);
      len = 0;
    }

    String finish() {
      flush();
      return HEX.formatHex(digest.digest());
    }
  }
}
