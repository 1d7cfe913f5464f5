/**
 * The Akita Genesis plugin API: the only code plugins compile against (with {@code provided} scope).
 *
 * <p>{@link akita.api.task.TaskExecutor} adds task types. Plugins must never block an event loop, never
 * register event-bus codecs and never keep static references to platform objects.
 */
package akita.api;
