package akita.plugins.shell;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Ends a process and everything it started: a polite signal first, then a forced kill after a grace period. */
final class ProcessTree {

  static final long GRACE_MS = 2_000;
  private static final long POLL_MS = 20;

  private ProcessTree() {
  }

  /**
   * Destroys the process's descendants and then the process, waits up to {@link #GRACE_MS} for all of them to
   * exit, and destroys forcibly whatever is still running. Blocks for at most the grace period.
   *
   * @param process the root of the tree
   * @return how many processes were signalled
   */
  static int kill(Process process) {
    // Snapshot first: once the root dies its children are re-parented and no longer its descendants.
    Set<ProcessHandle> tree = new LinkedHashSet<>(process.descendants().toList());
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
    boolean interrupted = false;
    while (tree.stream().anyMatch(ProcessTree::running) && System.nanoTime() < deadline && !interrupted) {
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (tree.stream().anyMatch(ProcessTree::running)) {
      // Anything the root started during the grace period is a descendant now, if the root still runs.
      tree.addAll(process.descendants().toList());
      tree.stream().filter(ProcessTree::running).forEach(ProcessHandle::destroyForcibly);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return tree.size();
  }

  /**
   * Whether a process still runs. {@link ProcessHandle#isAlive()} also counts zombies, and a killed grandchild
   * stays a zombie until init reaps it, which in a container can take a while; a zombie holds no pipes and
   * can take no signal, so it counts as ended here.
   */
  static boolean running(ProcessHandle handle) {
    return handle.isAlive() && !zombie(handle.pid());
  }

  private static boolean zombie(long pid) {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    try {
      String s = Files.readString(stat);
      // Format: "pid (comm) state ...", where comm may itself contain spaces and parentheses.
      char state = s.charAt(s.lastIndexOf(')') + 2);
      return state == 'Z' || state == 'X';
    } catch (IOException | RuntimeException e) {
      return false; // no procfs (not Linux) or the process just went: rely on isAlive()
    }
  }
}
