package akita.node.cluster;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The highest leadership term this node has seen. A command stamped with a lower term comes from a deposed
 * leader and is refused; one stamped with a higher term raises the mark. Shared by the verticles of one
 * node that receive leader commands.
 */
public final class TermFence {

  private final AtomicLong highest = new AtomicLong();

  /**
   * Records a term seen in the cluster (an election, a leader's announcement).
   *
   * @param term the term
   */
  public void observe(long term) {
    highest.accumulateAndGet(term, Math::max);
  }

  /**
   * Admits a command stamped with {@code term} if no higher term has been seen, raising the mark.
   *
   * @param term the command's term
   * @return whether the command may be applied
   */
  public boolean admit(long term) {
    long seen = highest.accumulateAndGet(term, Math::max);
    return term >= seen;
  }

  /** @return the highest term seen */
  public long highest() {
    return highest.get();
  }
}
