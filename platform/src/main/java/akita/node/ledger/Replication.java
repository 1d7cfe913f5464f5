package akita.node.ledger;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of a {@link LedgerAddresses#REPLICATE} message, in a binary form written once for every node: JSON
 * would escape each entry's data text again, and every follower would parse it again, for every entry the
 * cluster records. A message is either a batch of committed entries or the leader's head (its heartbeat).
 *
 * <p>Layout (big-endian): a version byte (1), a kind byte (0 batch, 1 head); a head then holds the head's seq
 * (long) and hash (string); a batch holds a count (int) and per entry: seq, time (longs), type, node id, subject
 * (strings, the subject may be null), term (long), data, previous hash, hash (strings). A string is its UTF-8
 * length (int, -1 for null) and bytes.
 */
final class Replication {

  private static final byte VERSION = 1;
  private static final byte BATCH = 0;
  private static final byte HEAD = 1;

  /** A decoded message: a batch ({@code entries} not null) or a head. */
  record Message(List<LedgerVerticle.Entry> entries, long headSeq, String headHash) {
  }

  private Replication() {
  }

  static Buffer batch(List<LedgerVerticle.Entry> entries) {
    Buffer b = Buffer.buffer(64 + entries.size() * 512).appendByte(VERSION).appendByte(BATCH)
        .appendInt(entries.size());
    for (LedgerVerticle.Entry e : entries) {
      b.appendLong(e.seq()).appendLong(e.time());
      string(b, e.type());
      string(b, e.nodeId());
      string(b, e.subject());
      b.appendLong(e.term());
      string(b, e.data());
      string(b, e.prevHash());
      string(b, e.hash());
    }
    return b;
  }

  static Buffer head(long seq, String hash) {
    Buffer b = Buffer.buffer(96).appendByte(VERSION).appendByte(HEAD).appendLong(seq);
    string(b, hash);
    return b;
  }

  /**
   * @return the message
   * @throws IllegalArgumentException if the buffer is not one (another version, cut short)
   */
  static Message read(Buffer b) {
    try {
      Reader r = new Reader(b);
      if (r.b.getByte(r.pos++) != VERSION) {
        throw new IllegalArgumentException("unknown replication message version " + b.getByte(0));
      }
      byte kind = r.b.getByte(r.pos++);
      if (kind == HEAD) {
        return new Message(null, r.readLong(), r.readString());
      }
      if (kind != BATCH) {
        throw new IllegalArgumentException("unknown replication message kind " + kind);
      }
      int n = r.readInt();
      if (n < 0 || n > b.length()) {
        throw new IllegalArgumentException("bad entry count " + n);
      }
      List<LedgerVerticle.Entry> entries = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        entries.add(new LedgerVerticle.Entry(r.readLong(), r.readLong(), r.readString(), r.readString(),
            r.readString(), r.readLong(), r.readString(), r.readString(), r.readString()));
      }
      if (r.pos != b.length()) {
        throw new IllegalArgumentException((b.length() - r.pos) + " bytes after the last entry");
      }
      return new Message(entries, 0, null);
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("the message is cut short", e);
    }
  }

  private static void string(Buffer b, String s) {
    if (s == null) {
      b.appendInt(-1);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  private static final class Reader {
    private final Buffer b;
    private int pos;

    Reader(Buffer b) {
      this.b = b;
    }

    long readLong() {
      long v = b.getLong(pos);
      pos += 8;
      return v;
    }

    int readInt() {
      int v = b.getInt(pos);
      pos += 4;
      return v;
    }

    String readString() {
      int len = readInt();
      if (len < 0) {
        return null;
      }
      String s = b.getString(pos, pos + len); // UTF-8 (naming the charset cost a lookup per string)
      pos += len;
      return s;
    }
  }
}
