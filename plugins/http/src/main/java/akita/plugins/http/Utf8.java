package akita.plugins.http;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Decodes response bodies, which may have been cut off in the middle of a character. */
final class Utf8 {

  private Utf8() {
  }

  /**
   * Decodes bytes as UTF-8; malformed input becomes U+FFFD.
   *
   * @param bytes the bytes
   * @param cut whether the bytes were cut off at a byte limit: a character the limit cut in two is dropped
   *     rather than turned into U+FFFD
   * @return the text
   */
  static String decode(Buffer bytes, boolean cut) {
    byte[] b = bytes.getBytes();
    return new String(b, 0, cut ? completeLength(b, b.length) : b.length, StandardCharsets.UTF_8);
  }

  /**
   * Decodes at most {@code maxChars} characters from the start of a body, for error messages.
   *
   * @param bytes the body
   * @param maxChars how many characters to keep
   * @return the start of the body, followed by an ellipsis when there was more
   */
  static String start(Buffer bytes, int maxChars) {
    // A character is at most 4 bytes: this many bytes always hold maxChars characters, if the body has them.
    int limit = (int) Math.min(bytes.length(), 4L * maxChars);
    byte[] b = bytes.getBytes(0, limit);
    String text = new String(b, 0, limit < bytes.length() ? completeLength(b, limit) : limit, StandardCharsets.UTF_8);
    boolean more = limit < bytes.length();
    if (text.length() > maxChars) {
      int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
      text = text.substring(0, end);
      more = true;
    }
    return more ? text + "…" : text;
  }

  /**
   * @return the length of the longest prefix of {@code b[0, length)} that does not end inside a multi-byte
   *     sequence
   */
  private static int completeLength(byte[] b, int length) {
    int start = length - 1;
    // Step back over continuation bytes (10xxxxxx) to the first byte of the last sequence, at most 3 of them.
    while (start >= 0 && length - start <= 3 && (b[start] & 0xC0) == 0x80) {
      start--;
    }
    if (start < 0) {
      return length;
    }
    int lead = b[start] & 0xFF;
    int needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return length - start < needed ? start : length;
  }
}
