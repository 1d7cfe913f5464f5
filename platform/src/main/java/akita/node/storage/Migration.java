package akita.node.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One versioned schema change, read from {@code db/migrations/V<n>__<name>.sql} on the class path.
 *
 * @param version the schema version this migration produces
 * @param name a short description
 * @param statements the SQL statements, in order
 * @param checksum SHA-256 of the file, recorded so an edited migration is noticed
 */
record Migration(int version, String name, List<String> statements, String checksum) {

  /** The migrations this build knows, in order. Add a file and a line here for each schema change. */
  static final List<String> FILES = List.of(
      "V1__node_runs.sql",
      "V2__ledger.sql",
      "V3__tasks.sql",
      "V4__ledger_chain.sql",
      "V5__ledger_replication.sql",
      "V6__tasks_by_update.sql",
      "V7__ledger_orphans_settled.sql",
      "V8__narrow_indexes.sql");

  static List<Migration> all() {
    List<Migration> out = new ArrayList<>();
    for (String file : FILES) {
      out.add(load(file));
    }
    return out;
  }

  private static Migration load(String file) {
    int sep = file.indexOf("__");
    int version = Integer.parseInt(file.substring(1, sep));
    String name = file.substring(sep + 2, file.length() - ".sql".length()).replace('_', ' ');
    try (InputStream in = Migration.class.getResourceAsStream("/db/migrations/" + file)) {
      if (in == null) {
        throw new IllegalStateException("migration db/migrations/" + file + " is missing from the build");
      }
      byte[] bytes = in.readAllBytes();
      String sql = new String(bytes, StandardCharsets.UTF_8);
      List<String> statements = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String line : sql.split("\n")) {
        String trimmed = line.strip();
        if (trimmed.startsWith("--") || trimmed.isEmpty()) {
          continue;
        }
        current.append(line).append('\n');
        if (trimmed.endsWith(";")) {
          statements.add(current.toString().strip());
          current.setLength(0);
        }
      }
      if (!current.toString().isBlank()) {
        throw new IllegalStateException("migration " + file + " ends without ';'");
      }
      return new Migration(version, name, List.copyOf(statements),
          HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
