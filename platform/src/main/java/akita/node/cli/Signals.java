package akita.node.cli;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM and SIGINT into a graceful stop. The JVM's default would run shutdown hooks and exit with
 * 143; handling the signals lets the node stop in order and exit 0.
 */
final class Signals {

  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {
  }

  @SuppressWarnings("restriction")
  static void onTermination(Consumer<String> action) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> action.accept("SIG" + sig.getName()));
      } catch (IllegalArgumentException e) {
        LOG.debug("signal {} cannot be handled here: {}", name, e.getMessage());
      }
    }
  }
}
