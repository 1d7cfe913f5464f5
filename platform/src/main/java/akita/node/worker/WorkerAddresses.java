package akita.node.worker;

/** Event-bus addresses of a node's worker. Contract: docs/event-bus.md. */
public final class WorkerAddresses {

  /** Local publish. Body: {@code {"running", "slots"}}. The worker's load changed; discovery announces it. */
  public static final String LOAD = "akita.worker.load";

  private WorkerAddresses() {
  }
}
