package akita.node.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The node's SQLite database, through the Vert.x JDBC client: one writer connection (SQLite has one writer
 * at a time) whose every write runs in an IMMEDIATE transaction, and a small pool of readers that WAL lets
 * run beside it. Pragmas are set on the data source, so every connection gets them.
 *
 * <p>Every write must go through {@link #write(Function)}: a statement run on the writer outside a
 * transaction can be silently lost (docs/adr/0004-sqlite.md).
 */
public final class Database {

  /** The database file's name inside the data folder. */
  public static final String FILE_NAME = "akita.db";

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);
  private static final int BUSY_TIMEOUT_MS = 5_000;
  private static final int READERS = 4;

  private final Path file;
  private final Pool writer;
  private final Pool reader;

  private Database(Path file, Pool writer, Pool reader) {
    this.file = file;
    this.writer = writer;
    this.reader = reader;
  }

  /**
   * Opens (creating if needed) the database in a data folder and applies pending migrations.
   *
   * @param vertx the node's Vert.x
   * @param dataDir the data folder, which must exist
   * @return the open database, or a failure with a {@link DatabaseException} that says what to do
   */
  public static Future<Database> open(Vertx vertx, Path dataDir) {
    Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
    if (Files.exists(file) && !Files.isRegularFile(file)) {
      return Future.failedFuture(new DatabaseException("database " + file + " is not a regular file"));
    }
    if (Files.exists(file) && !Files.isReadable(file)) {
      return Future.failedFuture(new DatabaseException("database " + file + " is not readable by this user"));
    }
    Pool writer = JDBCPool.pool(vertx, dataSource(file, false),
        new PoolOptions().setMaxSize(1).setName("akita-db-writer-" + file));
    Pool reader = JDBCPool.pool(vertx, dataSource(file, true),
        new PoolOptions().setMaxSize(READERS).setName("akita-db-reader-" + file));
    Database db = new Database(file, writer, reader);
    return db.migrate()
        .map(v -> db)
        .recover(err -> db.close().transform(ignored -> Future.failedFuture(db.explain(err))));
  }

  private static SQLiteDataSource dataSource(Path file, boolean readOnly) {
    SQLiteConfig c = new SQLiteConfig();
    if (!readOnly) {
      // WAL is a property of the file, set by the writer; readers only need to open it.
      c.setJournalMode(SQLiteConfig.JournalMode.WAL);
    }
    c.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    c.setBusyTimeout(BUSY_TIMEOUT_MS);
    c.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    c.enforceForeignKeys(true);
    if (readOnly) {
      c.setReadOnly(true);
    }
    SQLiteDataSource ds = new SQLiteDataSource(c);
    ds.setUrl("jdbc:sqlite:" + file);
    return ds;
  }

  /** @return the database file */
  public Path file() {
    return file;
  }

  /**
   * Runs writes in one IMMEDIATE transaction on the single writer connection.
   *
   * @param work the statements to run; the transaction commits when its future succeeds
   * @param <T> the result type
   * @return the work's result once committed
   */
  public <T> Future<T> write(Function<SqlConnection, Future<T>> work) {
    return writer.withTransaction(work).recover(err -> Future.failedFuture(explain(err)));
  }

  /** @return the pool for reads; never write through it (its connections are read-only) */
  public Pool reader() {
    return reader;
  }

  /** @return a future that succeeds if the database answers a query */
  public Future<Void> ping() {
    return reader.query("SELECT 1").execute().mapEmpty();
  }

  /** @return a future completed when both pools are closed */
  public Future<Void> close() {
    return Future.join(writer.close(), reader.close()).mapEmpty();
  }

  // ---- migrations -------------------------------------------------------------------------------------

  private Future<Void> migrate() {
    List<Migration> known = Migration.all();
    return write(conn -> conn.query("CREATE TABLE IF NOT EXISTS schema_migrations ("
            + "version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)")
        .execute()
        .compose(v -> conn.query("SELECT version, checksum FROM schema_migrations ORDER BY version").execute())
        .map(rows -> {
          Map<Integer, String> applied = new HashMap<>();
          for (Row r : rows) {
            applied.put(r.getInteger("version"), r.getString("checksum"));
          }
          return applied;
        }))
        .compose(applied -> {
          int newest = known.get(known.size() - 1).version();
          int highest = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
          if (highest > newest) {
            return Future.failedFuture(new DatabaseException("database " + file + " has schema version " + highest
                + ", newer than this build understands (" + newest + "); run a newer Akita Genesis or restore a "
                + "backup made by this version"));
          }
          Future<Void> chain = Future.succeededFuture();
          for (Migration m : known) {
            String checksum = applied.get(m.version());
            if (checksum != null) {
              if (!checksum.equals(m.checksum())) {
                LOG.warn("schema migration V{} ({}) differs from the one applied to {}", m.version(), m.name(), file);
              }
              continue;
            }
            chain = chain.compose(v -> apply(m));
          }
          return chain;
        });
  }

  private Future<Void> apply(Migration m) {
    return write(conn -> {
      Future<?> step = Future.succeededFuture();
      for (String sql : m.statements()) {
        step = step.compose(v -> conn.query(sql).execute());
      }
      return step.compose(v -> conn.preparedQuery(
              "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)")
          .execute(Tuple.of(m.version(), m.name(), m.checksum(), System.currentTimeMillis())))
          .<Void>mapEmpty();
    }).onSuccess(v -> LOG.info("applied schema migration V{} ({}) to {}", m.version(), m.name(), file));
  }

  /** Turns SQLite's failures into messages a person can act on. */
  private Throwable explain(Throwable err) {
    if (err instanceof DatabaseException) {
      return err;
    }
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof SQLiteException se) {
        SQLiteErrorCode code = se.getResultCode();
        switch (code) {
          case SQLITE_NOTADB:
          case SQLITE_CORRUPT:
            return new DatabaseException("database " + file + " is not a SQLite database or is corrupt (" + code
                + "). The node never resets it: move the file aside to start empty, or restore a backup", err);
          case SQLITE_CANTOPEN:
          case SQLITE_READONLY:
          case SQLITE_PERM:
            return new DatabaseException("database " + file + " cannot be opened for writing (" + code
                + "): check the data folder's permissions and free space", err);
          case SQLITE_FULL:
            return new DatabaseException("database " + file + ": the disk is full (" + code + ")", err);
          default:
            break;
        }
      }
    }
    return err;
  }
}
