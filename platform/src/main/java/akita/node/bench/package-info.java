/**
 * What the {@code bench} command needs from the platform ({@link akita.bench.ClusterAccess}): joining a
 * cluster's event bus as a client, and simulated workers for the scale workload.
 */
package akita.node.bench;
