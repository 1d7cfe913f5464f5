package akita.node.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small disk for one node process: a tmpfs of a few MiB mounted over its data folder in a mount namespace of
 * its own ({@code unshare(1)}), so the test can fill it without touching the machine's disks, and the mount goes
 * away with the process. Needs root, or unprivileged user namespaces ({@code unshare --user --map-root-user}).
 */
public final class SmallDisk {

  private final Path dataDir;
  private final int mebibytes;
  private final List<String> unshare;

  private SmallDisk(Path dataDir, int mebibytes, List<String> unshare) {
    this.dataDir = dataDir.toAbsolutePath();
    this.mebibytes = mebibytes;
    this.unshare = unshare;
  }

  /**
   * Finds out how this machine lets a test mount a tmpfs in a namespace of its own.
   *
   * @param dataDir the folder the disk is mounted over (created)
   * @param mebibytes the disk's size
   * @return the disk
   * @throws IllegalStateException with the reason when no way works here
   */
  public static SmallDisk over(Path dataDir, int mebibytes) throws Exception {
    Files.createDirectories(dataDir);
    StringBuilder reasons = new StringBuilder();
    for (List<String> unshare : List.of(List.of("unshare", "--mount", "--propagation", "private"),
        List.of("unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"))) {
      SmallDisk disk = new SmallDisk(dataDir, mebibytes, unshare);
      List<String> probe = new java.util.ArrayList<>(disk.prefix());
      probe.addAll(List.of("sh", "-c", "test \"$(stat -f -c %T " + disk.dataDir + ")\" = tmpfs"));
      try {
        Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return disk;
        }
        reasons.append(String.join(" ", unshare)).append(": ").append(out.isEmpty() ? "exit " + p.exitValue() : out)
            .append("; ");
      } catch (IOException e) {
        reasons.append("cannot run unshare(1): ").append(e.getMessage()).append("; ");
      }
    }
    throw new IllegalStateException("no tmpfs in a mount namespace here: " + reasons);
  }

  /** @return the words before {@code java} that run the node with the tmpfs over its data folder */
  public List<String> prefix() {
    List<String> words = new java.util.ArrayList<>(unshare);
    words.addAll(List.of("sh", "-c", "mount -t tmpfs -o size=" + mebibytes + "m akita-small-disk \"$0\" && exec \"$@\"",
        dataDir.toString()));
    return words;
  }

  /**
   * Fills the disk as a process sees it (through {@code /proc/PID/root}) with a ballast file until the disk is
   * full, after checking that the path really is the small disk: at most its size is written.
   *
   * @param pid a process in the disk's namespace
   * @return the ballast file, for {@link #empty}
   */
  public Path fill(long pid) throws IOException {
    Path inside = Path.of("/proc/" + pid + "/root").resolve(dataDir.toString().substring(1));
    long total = Files.getFileStore(inside).getTotalSpace();
    if (total > 2L * mebibytes << 20) {
      throw new IllegalStateException(inside + " is not the " + mebibytes + " MiB disk: it holds " + total + " bytes");
    }
    Path ballast = inside.resolve("ballast");
    byte[] block = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(ballast)) {
      for (long written = 0; written <= total; written += block.length) {
        out.write(block);
      }
    } catch (IOException full) {
      return ballast; // no space left: as intended
    }
    throw new IllegalStateException("the disk did not fill up with " + total + " bytes");
  }

  /** Deletes the ballast: the disk has room again. */
  public static void empty(Path ballast) throws IOException {
    Files.deleteIfExists(ballast);
  }
}
