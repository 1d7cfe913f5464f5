/**
 * Transports: the extension point that carries cluster messages over links Hazelcast cannot use, its
 * context, and its value types. Implemented by the transport plugins under {@code transports/}.
 */
package akita.api.transport;
