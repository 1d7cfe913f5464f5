package akita.node.ledger;

/** Event-bus addresses of the ledger. Contract: docs/event-bus.md. */
public final class LedgerAddresses {

  /**
   * Local, fire-and-forget or request/reply. Body: {@code {"type": UPPER_SNAKE, "subject": string?,
   * "term": long?, "data": object?}}, or {@code {"events": [such events]}}. Appends to the cluster's ledger: on
   * the leader at once, elsewhere by forwarding to the leader (held while there is none); replies {@code
   * {"ok": true}} once the leader has committed it. Fails 400 INVALID_EVENT for a malformed body, 503
   * LEDGER_BACKLOG when too many events wait for a leader.
   */
  public static final String APPEND = "akita.ledger.append";

  /**
   * Local request/reply, for this node's own services (the scheduler): {@link #APPEND} for events built as
   * {@link LedgerEvent}s, their data already JSON text, sent as a {@code List<LedgerEvent>} with
   * {@link akita.node.bus.LocalCodec} (never leaves the node). Appended in list order; replies {@code {"ok": true,
   * "seq"}} once the leader has committed them. Fails 400 INVALID_EVENT for an empty list, 503 LEDGER_BACKLOG.
   */
  public static final String APPEND_EVENTS = "akita.local.ledger.append-events";

  /**
   * Local request/reply. Body: {@code {"type"?, "subject"?, "since"? (epoch ms), "limit"?, "cursor"?,
   * "after"?}}. Reply: {@code {"entries": [{"seq", "time", "type", "nodeId", "subject", "term", "data",
   * "prevHash", "hash"}], "nextCursor"}}, newest first; with {@code after} (a seq), the entries after it, oldest
   * first, and {@code nextCursor} is then the last seq returned (pass it as the next {@code after}).
   * Fails 503 LEDGER_UNAVAILABLE.
   */
  public static final String QUERY = "akita.ledger.query";

  /**
   * Local request/reply. Body: {@code {}}. Walks the hash chain. Reply: {@code {"ok": true, "entries": N}} or
   * {@code {"ok": false, "entries": N, "firstBroken": {"seq", "reason"}}}.
   */
  public static final String VERIFY = "akita.ledger.verify";

  /**
   * Local publish, after every commit to this node's ledger (its own appends on the leader, and entries
   * replicated from the leader elsewhere). Body: {@code {"entries": [wire entry, ...]}} in seq order, each in the
   * shape {@link #REPLICATE} describes ({@code time} in epoch ms, {@code data} as JSON text), shared with other
   * listeners: read it, do not change it. {@link LedgerEntries#publicForm} turns one into the shape of
   * {@link #QUERY}'s entries. Consumers (the live event stream, metrics) must not block.
   */
  public static final String COMMITTED = "akita.local.ledger.committed";

  /**
   * Local request/reply, answered once this node's ledger is up to date (a leader after catching up). Body:
   * {@code {"subjects": [id...], "types": [TYPE...]}}. Reply: {@code {"recorded": [the subjects that have an
   * entry of one of the types]}}. The scheduler uses it to record task ends a dead leader missed.
   */
  public static final String RECORDED = "akita.ledger.recorded";

  /**
   * Local request/reply. Body: {@code {}}. Runs a retention pass now (it also runs every minute when limits are
   * configured). Reply: {@code {"checkpoint": {...} | null, "firstSeq"}}.
   */
  public static final String PRUNE = "akita.ledger.prune";

  /**
   * Publish, cluster-wide, from the leader: the entries of each commit, and its head (seq and hash) every second,
   * as a {@code Buffer} in the binary form {@code Replication} describes, written once for every node, with the
   * leader and its term in the headers {@link #HEADER_LEADER} and {@link #HEADER_TERM}. A wire entry (the form
   * {@link #COMMITTED} carries) is {@code {"seq", "time" (epoch ms), "type", "nodeId", "subject", "term", "data"
   * (the JSON text that was hashed), "prevHash", "hash"}}. Internal to the ledger (ADR 13).
   */
  public static final String REPLICATE = "akita.ledger.replicate";

  /** Header of a {@link #REPLICATE} message: the leader's node id. */
  public static final String HEADER_LEADER = "leaderId";

  /** Header of a {@link #REPLICATE} message: the leader's term, in decimal. */
  public static final String HEADER_TERM = "term";

  /**
   * @param nodeId a node
   * @return its cluster request/reply address for events forwarded to it while it leads: {@code {"events":
   *     [{"eid", "time", "type", "nodeId", "subject", "term", "data" (text)}]}} → {@code {"ok": true}} once
   *     committed; fails 503 NOT_LEADER
   */
  public static String append(String nodeId) {
    return "akita.ledger." + nodeId + ".append";
  }

  /**
   * @param nodeId a node
   * @return its cluster request/reply address for a range of its ledger: {@code {"after", "limit"}} →
   *     {@code {"entries": [wire entry...], "headSeq", "headHash", "checkpoint"?}}, the checkpoint being sent
   *     instead of entries when {@code after} lies before what it still stores
   */
  public static String range(String nodeId) {
    return "akita.ledger." + nodeId + ".range";
  }

  /**
   * @param nodeId a node
   * @return its cluster request/reply address for its ledger's head: {@code {}} → {@code {"seq", "hash",
   *     "leading"}}
   */
  public static String head(String nodeId) {
    return "akita.ledger." + nodeId + ".head";
  }

  private LedgerAddresses() {
  }
}
