package akita.node.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The binary form of the ledger's replication messages. */
class ReplicationTest {

  private static LedgerVerticle.Entry entry(long seq, String subject, String data) {
    String prev = LedgerChain.GENESIS;
    String hash = LedgerChain.hash(prev, seq, 1_700_000_000_123L, "TASK_SUBMITTED", "n1", subject, 7, data);
    return new LedgerVerticle.Entry(seq, 1_700_000_000_123L, "TASK_SUBMITTED", "n1", subject, 7, data, prev, hash);
  }

  /** Verifies a batch reads back entry for entry, with a null subject and non-ASCII data, hashes still valid. */
  @Test
  void aBatchReadsBackExactly() {
    List<LedgerVerticle.Entry> sent = List.of(entry(1, "t-1", "{\"x\":\"é ✓ \\\"q\\\"\"}"), entry(2, null, "{}"));
    Replication.Message m = Replication.read(Replication.batch(sent));
    assertEquals(sent, m.entries());
    assertTrue(m.entries().stream().allMatch(LedgerVerticle.Entry::hashOk));
  }

  /** Verifies a head message carries the leader's seq and hash and no entries. */
  @Test
  void aHeadReadsBack() {
    Replication.Message m = Replication.read(Replication.head(42, "ab".repeat(32)));
    assertNull(m.entries());
    assertEquals(42, m.headSeq());
    assertEquals("ab".repeat(32), m.headHash());
  }

  /** Verifies a cut, padded or foreign message is refused with a reason rather than misread. */
  @Test
  void aBrokenMessageIsRefused() {
    Buffer whole = Replication.batch(List.of(entry(1, "t-1", "{}")));
    assertThrows(IllegalArgumentException.class, () -> Replication.read(whole.getBuffer(0, whole.length() - 3)));
    assertThrows(IllegalArgumentException.class, () -> Replication.read(whole.copy().appendByte((byte) 0)));
    assertThrows(IllegalArgumentException.class, () -> Replication.read(Buffer.buffer("{\"entries\":[]}")));
    assertThrows(IllegalArgumentException.class, () -> Replication.read(Buffer.buffer()));
  }
}
