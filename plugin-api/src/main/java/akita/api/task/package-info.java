/**
 * Task executors: the extension point that adds task types, its context and its failure type.
 */
package akita.api.task;
