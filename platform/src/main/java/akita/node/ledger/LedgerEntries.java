package akita.node.ledger;

import io.vertx.core.json.JsonObject;

/** Conversions between the ledger's entry forms, for readers outside the ledger. */
public final class LedgerEntries {

  private LedgerEntries() {
  }

  /**
   * @param wire an entry as {@link LedgerAddresses#COMMITTED} and {@link LedgerAddresses#REPLICATE} carry it
   * @return the entry as {@link LedgerAddresses#QUERY} answers it and the REST API shows it: {@code time} in
   *     ISO-8601, {@code data} as a JSON object
   */
  public static JsonObject publicForm(JsonObject wire) {
    return LedgerVerticle.Entry.fromWire(wire).toJson();
  }
}
