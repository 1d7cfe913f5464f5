/**
 * The benchmark harness behind {@code java -jar platform.jar bench}: it starts nodes as separate processes on
 * loopback, drives a workload through one door (the event-bus RPC or REST), measures the raw event-bus
 * request/reply rate between the same JVMs in the same run, reads every process's peak RSS, and prints one
 * report. docs/benchmarks.md describes the method and the figures.
 */
package akita.bench;
