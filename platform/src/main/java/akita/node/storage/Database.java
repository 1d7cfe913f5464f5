package akita.node.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The node's SQLite database: one writer connection, owned by one thread, on which every write runs as one
 * blocking call (BEGIN IMMEDIATE, the statements, COMMIT), and a small pool of readers through the Vert.x JDBC
 * client that WAL lets run beside it, and a checkpointer that copies the write-ahead log back into the file once
 * a second on a connection and thread of its own. Pragmas are set on the data source, so every connection gets
 * them.
 *
 * <p>Writes go through {@link #write(Write)} only. The Vert.x JDBC client ran each write as four or five hops
 * between the event loop and its worker (connection, begin, statements, commit), about 130 microseconds of CPU
 * for a one-row transaction where one blocking call costs 67, and it left its pooled writer in manual-commit
 * mode, where a statement outside a transaction could be lost (docs/adr/0004-sqlite.md, amended).
 */
public final class Database {

  /** The database file's name inside the data folder. */
  public static final String FILE_NAME = "akita.db";

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);
  private static final int BUSY_TIMEOUT_MS = 5_000;
  /**
   * How often the checkpointer copies the write-ahead log back into the database file, on its own thread and
   * connection. SQLite does it by default inside the commit that passes 1,000 log pages, on the writer's thread:
   * each copy syncs both files and writes every page the log holds, and small, frequent transactions rewrite the
   * same few pages many times. At 1,000 tasks/s that cost the writer threads of three nodes about a quarter of a
   * core more, and every copy stalled the commits behind it (ADR 4).
   */
  static final long CHECKPOINT_MS = 1_000;
  /**
   * The log pages at which a commit copies the log itself after all (256 MiB): a backstop, reached only if the
   * checkpointer falls far behind or cannot run.
   */
  static final int WAL_BACKSTOP_PAGES = 65_536;
  /**
   * The log pages (64 MiB) past which the writer's thread finishes the checkpointer's copy between two
   * transactions. The log starts over only when a write begins with all of it copied, which never happens while
   * commits keep coming during the checkpointer's copies: under steady load it grew past 190 MB in a minute.
   * Finishing the copy on the writer's thread leaves only the last second's pages to copy there.
   */
  static final int WAL_RESTART_PAGES = 16_384;
  /** The size the log file is cut back to when it starts over. */
  private static final long WAL_SIZE_LIMIT_BYTES = 64L << 20;
  private static final int READERS = 4;
  /** A checkpoint that keeps failing is logged on the first failure and then every this many. */
  private static final long CHECKPOINT_FAILURE_LOG_EVERY = 60_000 / CHECKPOINT_MS;

  /**
   * Statements run on the writer connection inside one transaction, on the writer's thread: they may block,
   * and must not touch event-loop state.
   *
   * @param <T> what the work returns
   */
  @FunctionalInterface
  public interface Write<T> {
    /**
     * @param w the writer connection, inside an open transaction
     * @return the work's result; the transaction commits when this returns and rolls back when it throws
     * @throws SQLException when a statement fails (the transaction rolls back)
     */
    T apply(Writer w) throws SQLException;
  }

  /** The writer connection as {@link Write} work sees it: statements prepared once and kept. */
  public static final class Writer {
    private final Connection conn;
    private final Map<String, PreparedStatement> prepared = new HashMap<>();

    private Writer(Connection conn) {
      this.conn = conn;
    }

    /**
     * @param sql a statement with {@code ?} parameters
     * @return it prepared (once per connection), its parameters cleared
     * @throws SQLException when SQLite refuses the statement
     */
    public PreparedStatement statement(String sql) throws SQLException {
      PreparedStatement ps = prepared.get(sql);
      if (ps == null) {
        ps = conn.prepareStatement(sql);
        prepared.put(sql, ps);
      } else {
        ps.clearParameters();
        ps.clearBatch(); // rows added by a write that failed before it ran them
      }
      return ps;
    }

    /**
     * Ends a failed transaction with a statement of its own and drops every kept statement. A full disk at
     * COMMIT leaves sqlite-jdbc's kept statements finalized while they still say they are open: every later
     * use failed with "statement is not executing", ROLLBACK too, so the transaction stayed open and every
     * later BEGIN failed, even after the disk had room again. Failures are rare; preparing again is cheap.
     *
     * @param failure what failed; a failed rollback is added to it
     * @return whether the connection is known to be outside a transaction now
     */
    private boolean rollBack(Throwable failure) {
      closeStatements();
      try (Statement st = conn.createStatement()) {
        st.execute("ROLLBACK");
        return true;
      } catch (SQLException rollback) {
        if (String.valueOf(rollback.getMessage()).contains("no transaction is active")) {
          return true; // SQLite rolled back itself, as it may on a full disk or an I/O error
        }
        failure.addSuppressed(rollback);
        return false;
      }
    }

    /**
     * Runs one statement.
     *
     * @param sql the statement
     * @param params its parameters, in order
     * @return the number of rows it changed
     * @throws SQLException when it fails
     */
    public int update(String sql, Object... params) throws SQLException {
      PreparedStatement ps = statement(sql);
      bind(ps, params);
      return ps.executeUpdate();
    }

    /**
     * Runs one statement once per row, as one batch.
     *
     * @param sql the statement
     * @param rows each row's parameters, in order
     * @throws SQLException when a row fails
     */
    public void batch(String sql, List<Tuple> rows) throws SQLException {
      PreparedStatement ps = statement(sql);
      for (Tuple row : rows) {
        for (int i = 0; i < row.size(); i++) {
          ps.setObject(i + 1, row.getValue(i));
        }
        ps.addBatch();
      }
      ps.executeBatch();
    }

    /**
     * Reads inside the transaction (to see its own writes, or to decide on them).
     *
     * @param sql a query
     * @param params its parameters, in order
     * @return its rows, each an object keyed by column label
     * @throws SQLException when it fails
     */
    public List<JsonObject> query(String sql, Object... params) throws SQLException {
      PreparedStatement ps = statement(sql);
      bind(ps, params);
      List<JsonObject> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData meta = rs.getMetaData();
        int columns = meta.getColumnCount();
        while (rs.next()) {
          JsonObject row = new JsonObject();
          for (int i = 1; i <= columns; i++) {
            row.put(meta.getColumnLabel(i), rs.getObject(i));
          }
          rows.add(row);
        }
      }
      return rows;
    }

    private static void bind(PreparedStatement ps, Object[] params) throws SQLException {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
    }

    private void closeStatements() {
      for (PreparedStatement ps : prepared.values()) {
        try {
          ps.close();
        } catch (SQLException e) {
          LOG.debug("closing a statement failed", e);
        }
      }
      prepared.clear();
    }

    private void close() {
      closeStatements();
      try {
        conn.close();
      } catch (SQLException e) {
        LOG.warn("closing the database's writer failed", e);
      }
    }
  }

  private final Vertx vertx;
  private final Path file;
  private final WorkerExecutor writerThread;
  private final WorkerExecutor checkpointThread;
  private final Pool reader;
  private Writer writer;
  private Connection checkpointer;
  private long checkpointTimer = -1;
  private boolean checkpointing;
  private long checkpointFailures;
  private final int restartPages;
  private volatile int walPages;
  private volatile boolean closed;
  private volatile WriteProblem problem;

  private Database(Vertx vertx, Path file, WorkerExecutor writerThread, WorkerExecutor checkpointThread,
      Pool reader, int restartPages) {
    this.restartPages = restartPages;
    this.vertx = vertx;
    this.file = file;
    this.writerThread = writerThread;
    this.checkpointThread = checkpointThread;
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
    return open(vertx, dataDir, CHECKPOINT_MS, WAL_RESTART_PAGES);
  }

  /** {@link #open(Vertx, Path)} with the checkpointer's period and the log size it restarts at (tests). */
  static Future<Database> open(Vertx vertx, Path dataDir, long checkpointMs, int restartPages) {
    Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
    if (Files.exists(file) && !Files.isRegularFile(file)) {
      return Future.failedFuture(new DatabaseException("database " + file + " is not a regular file"));
    }
    if (Files.exists(file) && !Files.isReadable(file)) {
      return Future.failedFuture(new DatabaseException("database " + file + " is not readable by this user"));
    }
    WorkerExecutor writerThread = vertx.createSharedWorkerExecutor("akita-db-writer-" + file, 1);
    Pool reader = JDBCPool.pool(vertx, dataSource(file, true),
        new PoolOptions().setMaxSize(READERS).setName("akita-db-reader-" + file));
    WorkerExecutor checkpointThread = vertx.createSharedWorkerExecutor("akita-db-checkpoint-" + file, 1);
    Database db = new Database(vertx, file, writerThread, checkpointThread, reader, restartPages);
    return writerThread.executeBlocking(() -> {
          db.writer = openWriter(file);
          return db;
        }, true)
        .compose(d -> d.migrate())
        .onSuccess(v -> db.checkpointTimer = vertx.setPeriodic(checkpointMs, id -> db.checkpoint()))
        .map(v -> db)
        .recover(err -> db.close().transform(ignored -> Future.failedFuture(db.explain(err))));
  }

  /** Opens the writer connection; on the writer's thread. */
  private static Writer openWriter(Path file) throws SQLException {
    // Auto-commit stays on and each write begins and ends its own transaction: with it off, sqlite-jdbc
    // begins the next transaction as soon as one ends, and the idle writer would hold SQLite's write lock.
    Connection conn = dataSource(file, false).getConnection();
    try (Statement st = conn.createStatement()) {
      st.execute("PRAGMA wal_autocheckpoint = " + WAL_BACKSTOP_PAGES);
      st.execute("PRAGMA journal_size_limit = " + WAL_SIZE_LIMIT_BYTES);
    }
    return new Writer(conn);
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
   * Runs writes in one IMMEDIATE transaction on the writer connection, on the writer's thread, in the order they
   * were asked for.
   *
   * @param work the statements to run; the transaction commits when it returns and rolls back when it throws
   * @param <T> the result type
   * @return the work's result once committed, on the caller's context
   */
  public <T> Future<T> write(Write<T> work) {
    if (closed) {
      return Future.failedFuture(new DatabaseException("database " + file + " is closed"));
    }
    return writerThread.<T>executeBlocking(() -> {
      Writer w = writer;
      if (w == null) {
        if (closed) {
          throw new DatabaseException("database " + file + " is closed");
        }
        w = openWriter(file); // the last one was dropped after a failed rollback
        writer = w;
      }
      T result;
      try {
        w.statement("BEGIN IMMEDIATE").execute();
        result = work.apply(w);
        w.statement("COMMIT").execute();
      } catch (SQLException | RuntimeException e) {
        if (!w.rollBack(e)) {
          // Whether a transaction is still open is unknown: start again on a new connection rather than have
          // every later BEGIN fail ("cannot start a transaction within a transaction").
          LOG.warn("the writer of {} could not roll back ({}); the next write opens it again", file, e.getMessage());
          w.close();
          writer = null;
        }
        throw e;
      }
      return result;
    }, true).transform(ar -> {
      if (ar.succeeded()) {
        writesWork();
        return Future.succeededFuture(ar.result());
      }
      Throwable err = explain(ar.cause());
      writeFailed(err);
      return Future.failedFuture(err);
    });
  }

  /**
   * @return why writes fail, while they do: {@code {"code", "message", "since", "failures"}} with code
   *     {@code STORAGE_FULL} (the disk is full) or {@code STORAGE_FAILED} (another fault of the file or disk); null
   *     while they work
   */
  public JsonObject writeProblem() {
    WriteProblem p = problem;
    return p == null ? null : new JsonObject().put("code", p.code).put("message", p.message)
        .put("since", java.time.Instant.ofEpochMilli(p.since).toString()).put("failures", p.failures);
  }

  /** A fault of the file or the disk, as against a write that was wrong (a constraint, a bug). */
  private record WriteProblem(String code, String message, long since, long failures) {
  }

  /** Counts a failed write; a fault of the file or disk marks writes as failing and is logged when it starts. */
  private void writeFailed(Throwable err) {
    String code = err instanceof DatabaseException de ? de.code() : null;
    if (code == null) {
      return;
    }
    WriteProblem was = problem;
    problem = new WriteProblem(code, err.getMessage(), was == null ? System.currentTimeMillis() : was.since,
        was == null ? 1 : was.failures + 1);
    if (was == null || !was.code.equals(code)) {
      LOG.error("writes to {} fail: {} ({}); the node keeps running, serves reads and tries the writes again",
          file, err.getMessage(), code);
    }
  }

  private void writesWork() {
    WriteProblem was = problem;
    if (was != null) {
      problem = null;
      LOG.info("writes to {} work again, after {} ms and {} failed write(s)", file,
          System.currentTimeMillis() - was.since, was.failures);
    }
  }

  /** @return the pool for reads; never write through it (its connections are read-only) */
  public Pool reader() {
    return reader;
  }

  /** @return a future that succeeds if the database answers a query */
  public Future<Void> ping() {
    return reader.query("SELECT 1").execute().mapEmpty();
  }

  /**
   * Copies the write-ahead log back into the database file as far as no reader still needs it (a PASSIVE
   * checkpoint), on the checkpointer's own thread and connection: the writer goes on committing meanwhile. Skipped
   * while the last one still runs. When the log has grown past {@link #WAL_RESTART_PAGES}, the writer's thread
   * then copies what was committed meanwhile, between two transactions, so that the next one starts the log over.
   */
  private void checkpoint() {
    if (checkpointing || closed) {
      return;
    }
    checkpointing = true;
    checkpointThread.executeBlocking(() -> {
          if (checkpointer == null) {
            checkpointer = dataSource(file, false).getConnection();
          }
          return logPages(checkpointer);
        }, true)
        .compose(pages -> {
          walPages = pages;
          return pages < restartPages || closed ? Future.succeededFuture() : writerThread.executeBlocking(() -> {
            Writer w = writer;
            return w == null ? null : logPages(w.conn);
          }, true);
        })
        .onComplete(ar -> {
          checkpointing = false;
          if (ar.succeeded() && checkpointFailures > 0) {
            LOG.info("copying {}'s write-ahead log into it works again, after {} failed tries", file,
                checkpointFailures);
            checkpointFailures = 0;
          } else if (ar.failed() && !closed && checkpointFailures++ % CHECKPOINT_FAILURE_LOG_EVERY == 0) {
            // Once, then once a minute: a full disk fails every try until it has room.
            LOG.warn("copying {}'s write-ahead log into it failed {} time(s), tried again every {} ms: {}", file,
                checkpointFailures, CHECKPOINT_MS, ar.cause().getMessage());
          }
        });
  }

  /** Runs a PASSIVE checkpoint on a connection and returns how many pages the log held. */
  private static int logPages(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
      return rs.next() ? rs.getInt(2) : 0;
    }
  }

  /** @return the pages the write-ahead log held at the checkpointer's last copy */
  int walPages() {
    return walPages;
  }

  /** @return a future completed when the writer and the readers are closed (writes asked for before run first) */
  public Future<Void> close() {
    closed = true;
    vertx.cancelTimer(checkpointTimer);
    Future<Void> checkpointerClosed = closeOn(checkpointThread, () -> {
      if (checkpointer != null) {
        checkpointer.close();
        checkpointer = null;
      }
    });
    Future<Void> writerClosed = closeOn(writerThread, () -> {
      if (writer != null) {
        writer.close();
        writer = null;
      }
    });
    return Future.join(writerClosed, checkpointerClosed, reader.close()).mapEmpty();
  }

  /** A connection's closing, run on its own thread after the work asked for before, then the thread's end. */
  @FunctionalInterface
  private interface Closing {
    void run() throws SQLException;
  }

  private static Future<Void> closeOn(WorkerExecutor thread, Closing closing) {
    return thread.<Void>executeBlocking(() -> {
      closing.run();
      return null;
    }, true).eventually(thread::close);
  }

  // ---- migrations -------------------------------------------------------------------------------------

  private Future<Void> migrate() {
    List<Migration> known = Migration.all();
    return write(w -> {
      w.update("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
          + "checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      Map<Integer, String> applied = new HashMap<>();
      for (JsonObject r : w.query("SELECT version, checksum FROM schema_migrations ORDER BY version")) {
        applied.put(r.getInteger("version"), r.getString("checksum"));
      }
      return applied;
    }).compose(applied -> {
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
    return write(w -> {
      try (Statement s = w.conn.createStatement()) {
        for (String sql : m.statements()) {
          s.execute(sql);
        }
      }
      w.update("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
          m.version(), m.name(), m.checksum(), System.currentTimeMillis());
      return (Void) null;
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
            return new DatabaseException(DatabaseException.FAILED, "database " + file + " is not a SQLite database "
                + "or is corrupt (" + code + "). The node never resets it: move the file aside to start empty, or "
                + "restore a backup", err);
          case SQLITE_CANTOPEN:
          case SQLITE_READONLY:
          case SQLITE_PERM:
            return new DatabaseException(DatabaseException.FAILED, "database " + file + " cannot be opened for "
                + "writing (" + code + "): check the data folder's permissions and free space", err);
          case SQLITE_FULL:
            return new DatabaseException(DatabaseException.FULL, "database " + file + ": the disk is full (" + code
                + "): free space on it", err);
          default:
            if (code.name().startsWith("SQLITE_IOERR")) {
              return new DatabaseException(DatabaseException.FAILED, "database " + file + ": the disk failed a "
                  + "read or write (" + code + "): check the disk and its free space", err);
            }
            break;
        }
      }
    }
    return err;
  }
}
