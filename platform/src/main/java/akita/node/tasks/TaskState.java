package akita.node.tasks;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a task and the only transitions between them. A transition the table does not allow is
 * refused, never applied.
 *
 * <pre>
 * PENDING ──► ASSIGNED ──► RUNNING ──► COMPLETED
 *    ▲  │         │           │
 *    │  │         ├───────────┴──► RETRYING ──► PENDING (after the backoff), or COMPLETED
 *    │  │         │           │
 *    │  └─────────┴───────────┴──► FAILED | CANCELLED
 *    └── ASSIGNED (no ACK: back to the queue)
 * </pre>
 */
public enum TaskState {
  PENDING,
  ASSIGNED,
  RUNNING,
  RETRYING,
  COMPLETED,
  FAILED,
  CANCELLED;

  /** @return whether the task has ended; a terminal task never changes again */
  public boolean terminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  /** @return the states this one may move to */
  public Set<TaskState> next() {
    return switch (this) {
      case PENDING -> EnumSet.of(ASSIGNED, FAILED, CANCELLED);
      case ASSIGNED -> EnumSet.of(RUNNING, PENDING, RETRYING, COMPLETED, FAILED, CANCELLED);
      case RUNNING -> EnumSet.of(COMPLETED, RETRYING, FAILED, CANCELLED);
      // An earlier attempt that was given up on (no ACK, lost worker) may still report success.
      case RETRYING -> EnumSet.of(PENDING, COMPLETED, FAILED, CANCELLED);
      case COMPLETED, FAILED, CANCELLED -> EnumSet.noneOf(TaskState.class);
    };
  }

  /**
   * @param to the wanted state
   * @return whether this state may move to it
   */
  public boolean canMoveTo(TaskState to) {
    return next().contains(to);
  }
}
