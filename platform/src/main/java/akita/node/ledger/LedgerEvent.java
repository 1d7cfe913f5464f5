package akita.node.ledger;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * An event for this node's services to append to the ledger through {@link LedgerAddresses#APPEND_EVENTS}, its
 * data already JSON text: the scheduler records five of these per task, and building each as a
 * {@code JsonObject} for the ledger to check and encode again cost a tenth of the leader's event loop.
 *
 * @param type the event type, UPPER_SNAKE ({@code [A-Z][A-Z0-9_]{0,63}})
 * @param subject what the event is about (a task id), or {@code null}
 * @param term the leader term the event belongs to, 0 for none
 * @param data a JSON object as text (written with {@link akita.node.bus.JsonText}); hashed as it is
 */
public record LedgerEvent(String type, String subject, long term, String data) {

  private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");

  /** Types already found valid: the same few repeat in every batch. */
  private static final Set<String> VALID_TYPES = ConcurrentHashMap.newKeySet();

  /** Checks the type and that data looks like an object (its writer makes sure of the rest). */
  public LedgerEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(data, "data");
    if (!validType(type)) {
      throw new IllegalArgumentException("a ledger event type is UPPER_SNAKE: " + type);
    }
    if (data.isEmpty() || data.charAt(0) != '{' || data.charAt(data.length() - 1) != '}') {
      throw new IllegalArgumentException("a ledger event's data is a JSON object");
    }
  }

  /**
   * @param type an event type
   * @return whether it is UPPER_SNAKE ({@code [A-Z][A-Z0-9_]{0,63}})
   */
  static boolean validType(String type) {
    if (VALID_TYPES.contains(type)) {
      return true;
    }
    if (!TYPE.matcher(type).matches()) {
      return false;
    }
    if (VALID_TYPES.size() < 1_024) {
      VALID_TYPES.add(type);
    }
    return true;
  }
}
