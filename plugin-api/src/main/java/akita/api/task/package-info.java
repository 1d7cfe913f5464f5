/**
 * Task executors: the extension point that adds task types, its contexts, its value types and its failure
 * type.
 */
package akita.api.task;
