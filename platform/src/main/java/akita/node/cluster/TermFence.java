package akita.node.cluster;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The highest leadership term this node has seen. A command stamped with a lower term comes from a deposed
 * leader and is refused; one stamped with a higher term raises the mark. Shared by the verticles of one
 * node that receive leader commands.
 */
public final class TermFence {

  private final AtomicLong highest = new AtomicLong();
  private volatile java.util.function.LongConsumer onRaise = t -> { };

  /**
   * @param listener told each time the mark rises, with the new mark (from whichever thread raised it), so that
   *     it can be kept across restarts
   */
  public void onRaise(java.util.function.LongConsumer listener) {
    this.onRaise = listener;
  }

  /**
   * Records a term seen in the cluster (an election, a leader's announcement).
   *
   * @param term the term
   */
  public void observe(long term) {
    raise(term);
  }

  private long raise(long term) {
    long before = highest.getAndAccumulate(term, Math::max);
    if (term > before) {
      onRaise.accept(term);
    }
    return Math.max(before, term);
  }

  /**
   * Admits a command stamped with {@code term} if no higher term has been seen, raising the mark.
   *
   * @param term the command's term
   * @return whether the command may be applied
   */
  public boolean admit(long term) {
    return term >= raise(term);
  }

  /** @return the highest term seen */
  public long highest() {
    return highest.get();
  }
}
