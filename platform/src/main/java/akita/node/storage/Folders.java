package akita.node.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Folder helpers for the node's own files. Blocking: call them off the event loop. */
public final class Folders {
  private Folders() {
  }

  /**
   * Deletes a folder and everything in it; does nothing when it does not exist.
   *
   * @param dir the folder
   * @throws IOException when something in it could not be deleted
   */
  public static void deleteTree(Path dir) throws IOException {
    List<Path> all;
    try (Stream<Path> s = Files.walk(dir)) {
      all = s.sorted(Comparator.reverseOrder()).toList();
    } catch (NoSuchFileException e) {
      return;
    }
    for (Path p : all) {
      Files.deleteIfExists(p);
    }
  }
}
