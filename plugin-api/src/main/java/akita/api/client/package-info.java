/**
 * A client of the task service for JVM services that join the cluster: {@link akita.api.client.TaskClient}
 * submits, reads, lists, cancels and awaits tasks over the public event-bus RPC ({@code akita.tasks.*}), and
 * {@link akita.api.client.TaskClient.TaskClientException} carries the service's failures with their stable
 * codes.
 *
 * <p>These types are a published contract. They depend only on Vert.x core, which the caller provides.
 */
package akita.api.client;
