package akita.bench;

import io.vertx.core.Vertx;
import java.util.List;

/**
 * What the harness needs from the platform and cannot do through its public doors: joining the cluster's
 * event bus as a client, and simulating worker nodes. The platform supplies it when it registers the
 * {@code bench} command, so this module never depends on the platform.
 */
public interface ClusterAccess {

  /**
   * Joins a cluster's event bus as a client that is not a node: it owns no data, never counts toward the
   * quorum and is never elected. Blocks until joined.
   *
   * @param clusterName the cluster name
   * @param members the nodes' Hazelcast addresses, {@code host:port}
   * @param hzPort the Hazelcast port this client listens on
   * @return a clustered Vert.x; the caller closes it
   * @throws Exception if it could not join in time
   */
  Vertx join(String clusterName, List<String> members, int hzPort) throws Exception;

  /**
   * Starts an empty fleet of simulated workers in this JVM: one host that joins the cluster (a lite member),
   * and workers it hosts, each a node of the cluster view that announces itself with heartbeats, accepts every
   * assignment and reports it completed at once. Blocks until the host has joined.
   *
   * @param clusterName the cluster name
   * @param members the nodes' Hazelcast addresses
   * @param hzPort the Hazelcast port the host listens on
   * @param taskType the one task type the workers claim to run
   * @param slots the slots each worker announces
   * @return the fleet; add workers with {@link WorkerFleet#add}
   * @throws Exception if the host could not join in time
   */
  WorkerFleet fleet(String clusterName, List<String> members, int hzPort, String taskType, int slots)
      throws Exception;

  /** Sends this JVM's own log output to stderr at WARN, so that stdout carries only the report. */
  void quietLogging();

  /** Simulated workers, counted together. They start draining (taking no tasks) until told otherwise. */
  interface WorkerFleet extends AutoCloseable {

    /**
     * Sets whether every worker, present and future, announces itself as draining (the leader then sends it
     * nothing). Each worker announces the change at once.
     *
     * @param draining {@code true} to take no tasks
     */
    void draining(boolean draining);

    /**
     * Adds workers and waits until each has registered its addresses and announced itself.
     *
     * @param count how many
     * @throws Exception if one could not start in time
     */
    void add(int count) throws Exception;

    /** @return how many workers the fleet has */
    int size();

    /** @return how many assignments all workers have accepted so far */
    long assigned();

    /** Stops every worker. */
    @Override
    void close() throws Exception;
  }
}
