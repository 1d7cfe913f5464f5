package akita.node.boot;

import akita.node.cluster.TermFence;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The highest leadership term this node has seen, kept in its data folder ({@code term}) so that terms keep
 * growing across restarts of the whole cluster (ADR 9): the node loads it into its {@link TermFence} at start
 * and writes it each time the fence rises, on a thread of its own (never an event loop), replacing the file
 * atomically.
 */
final class TermFile implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TermFile.class);
  static final String FILE = "term";

  private final Path file;
  private final TermFence fence;
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "akita-term-file");
    t.setDaemon(true);
    return t;
  });

  private TermFile(Path file, TermFence fence) {
    this.file = file;
    this.fence = fence;
  }

  /**
   * Loads the kept term into the fence and keeps the file up to date from now on. Blocking: call while starting.
   *
   * @param dataDir the node's data folder
   * @param fence the node's fence
   * @return the open file
   * @throws IOException if the file exists but cannot be read, or does not hold a term
   */
  static TermFile open(Path dataDir, TermFence fence) throws IOException {
    Path file = dataDir.resolve(FILE);
    if (Files.exists(file)) {
      String text = Files.readString(file, StandardCharsets.UTF_8).trim();
      try {
        fence.observe(Long.parseLong(text));
      } catch (NumberFormatException e) {
        throw new IOException(file + " does not hold a term: '" + text + "'", e);
      }
    }
    TermFile terms = new TermFile(file, fence);
    fence.onRaise(t -> terms.writer.execute(terms::write));
    return terms;
  }

  /** Writes the fence's mark now (the latest, whichever raise asked for it). */
  private void write() {
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try {
      Files.writeString(tmp, fence.highest() + "\n", StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.warn("could not keep term {} in {}: {}", fence.highest(), file, e.getMessage());
    }
  }

  /** Stops listening and finishes the writes asked for. */
  @Override
  public void close() {
    fence.onRaise(t -> { });
    writer.shutdown();
    try {
      writer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
