package akita.node.tasks;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Task ids: time-ordered UUIDs (version 7 of RFC 9562: 48 bits of Unix milliseconds, then 74 random bits).
 * Ids made close in time sort close together, so the SQLite indexes keyed by task id (the task mirror's
 * primary key, the ledger's index by subject) take each new id near the last instead of on a random page: with
 * random (version 4) ids every insert read and rewrote a different leaf page of indexes holding millions of
 * entries. The random bits keep ids made in the same millisecond, on any node, apart. Ids are names, not
 * secrets: access is guarded by API keys, never by knowing an id.
 */
final class TaskIds {

  private TaskIds() {
  }

  /** @return a new task id, such as {@code 0192c6a4-7f3e-7d21-9b4a-2f1e8c0d5a77} */
  static String next() {
    return next(System.currentTimeMillis());
  }

  static String next(long millis) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (millis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | random.nextInt(1 << 12);
    long low = random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | Long.MIN_VALUE; // the IETF variant, bits 10
    return new UUID(high, low).toString();
  }
}
