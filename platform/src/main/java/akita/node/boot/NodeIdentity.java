package akita.node.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/** The node's stable id: generated once, kept in the data folder's {@code node-id} file. */
final class NodeIdentity {

  static final String FILE_NAME = "node-id";

  private NodeIdentity() {
  }

  /**
   * Reads the node id from the data folder, creating it on first start.
   *
   * @param dataDir the data folder, which must exist
   * @return the node id, a UUID in canonical form
   * @throws IOException if the file cannot be read or written
   * @throws IllegalStateException if the file exists but holds no valid id
   */
  static String loadOrCreate(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE_NAME);
    if (Files.exists(file)) {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      try {
        return UUID.fromString(text).toString();
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("the node id file " + file.toAbsolutePath() + " is damaged (it must hold one "
            + "UUID); restore it, or delete it to give this data folder a new identity");
      }
    }
    String id = UUID.randomUUID().toString();
    Path tmp = Files.createTempFile(dataDir, FILE_NAME, ".tmp");
    Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file);
    }
    return id;
  }
}
