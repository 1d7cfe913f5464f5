package akita.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class DatabaseTest {

  @TempDir
  Path dir;

  /** Verifies a new database gets every migration, in WAL mode, recorded in schema_migrations. */
  @Test
  void migratesNewDatabase(Vertx vertx, VertxTestContext ctx) {
    Database.open(vertx, dir).compose(db -> db.reader()
            .query("SELECT version FROM schema_migrations ORDER BY version").execute()
            .compose(rows -> {
              ctx.verify(() -> assertEquals(Migration.FILES.size(), rows.size()));
              return db.reader().query("PRAGMA journal_mode").execute();
            })
            .compose(rows -> {
              ctx.verify(() -> assertEquals("wal", rows.iterator().next().getString(0)));
              // A per-connection setting: the writer leaves copying the log back to the checkpointer.
              return db.write(w -> w.query("PRAGMA wal_autocheckpoint"));
            })
            .map(rows -> {
              ctx.verify(() -> assertEquals(Database.WAL_BACKSTOP_PAGES,
                  ((Number) rows.get(0).getValue("wal_autocheckpoint")).intValue()));
              return db;
            }))
        .compose(Database::close)
        // opening again applies nothing and succeeds
        .compose(v -> Database.open(vertx, dir))
        .compose(Database::close)
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies a committed write is visible to an independent connection, also after several transactions
   * (the auto-commit trap in ARCHITECTURE.md §7 would lose the later ones).
   */
  @Test
  void committedWritesAreVisibleToAnotherConnection(Vertx vertx, VertxTestContext ctx) {
    Database.open(vertx, dir).compose(db -> db.write(w -> w.update(
                "INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)", "n", "v", 1L))
        .compose(v -> db.write(w -> w.update(
                "INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)", "n", "v", 2L)))
        .compose(v -> vertx.executeBlocking(() -> {
          try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Database.FILE_NAME));
               Statement s = c.createStatement();
               ResultSet rs = s.executeQuery("SELECT count(*) FROM node_runs")) {
            rs.next();
            return rs.getInt(1);
          }
        }))
        .map(count -> {
          ctx.verify(() -> assertEquals(2, count));
          return db;
        })
        .compose(Database::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that the checkpointer copies committed writes from the write-ahead log into the database file on its
   * own, long before the writer's backstop: the file grows by the rows while the writer is idle.
   */
  @Test
  void theCheckpointerCopiesTheLogIntoTheFile(Vertx vertx, VertxTestContext ctx) {
    Path file = dir.resolve(Database.FILE_NAME);
    String text = "x".repeat(1_000);
    Database.open(vertx, dir).compose(db -> vertx.executeBlocking(() -> Files.size(file))
        .compose(before -> db.write(w -> {
              for (long i = 0; i < 500; i++) {
                w.update("INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)", text, "v", i);
              }
              return null;
            })
            .compose(v -> awaitGrowth(vertx, file, before + 400_000L, System.currentTimeMillis() + 10_000)))
        .eventually(db::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that the log starts over under writes that never pause: once it passes the restart size, the writer's
   * thread finishes the checkpointer's copy between two transactions, and a later copy finds a shorter log.
   */
  @Test
  void theLogStartsOverUnderSteadyWrites(Vertx vertx, VertxTestContext ctx) {
    String text = "y".repeat(1_000);
    List<Integer> seen = new ArrayList<>();
    Database.open(vertx, dir, 50, 40).compose(db -> {
      long giveUpAt = System.currentTimeMillis() + 8_000;
      long watch = vertx.setPeriodic(10, id -> {
        if (seen.isEmpty() || seen.get(seen.size() - 1) != db.walPages()) {
          seen.add(db.walPages());
        }
      });
      // Four chains of writes keep the writer's queue full, so commits land during every copy.
      List<Future<Void>> chains = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        chains.add(writeUntilRestarted(db, text, seen, giveUpAt));
      }
      return Future.all(chains).<Void>mapEmpty().eventually(() -> {
        vertx.cancelTimer(watch);
        return db.close();
      });
    }).onComplete(ctx.succeedingThenComplete());
  }

  private static Future<Void> writeUntilRestarted(Database db, String text, List<Integer> seen, long giveUpAt) {
    for (int i = 1; i < seen.size(); i++) {
      if (seen.get(i - 1) >= 40 && seen.get(i) < seen.get(i - 1)) {
        return Future.succeededFuture();
      }
    }
    if (System.currentTimeMillis() > giveUpAt) {
      return Future.failedFuture(new AssertionError("the log never started over; pages seen: " + seen));
    }
    return db.write(w -> {
      for (int i = 0; i < 5; i++) {
        w.update("INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)", text, "v", (long) i);
      }
      return null;
    }).compose(v -> writeUntilRestarted(db, text, seen, giveUpAt));
  }

  private static Future<Void> awaitGrowth(Vertx vertx, Path file, long size, long giveUpAt) {
    return vertx.executeBlocking(() -> Files.size(file)).compose(now -> {
      if (now >= size) {
        return Future.succeededFuture();
      }
      if (System.currentTimeMillis() > giveUpAt) {
        return Future.failedFuture(new AssertionError(file + " is " + now + " bytes, never " + size
            + ": the log was not copied into it"));
      }
      return vertx.timer(100).compose(t -> awaitGrowth(vertx, file, size, giveUpAt));
    });
  }

  /** Verifies work that throws rolls its transaction back (nothing of it stays) and the writer goes on working. */
  @Test
  void aFailedWriteRollsBackAndTheNextOneCommits(Vertx vertx, VertxTestContext ctx) {
    Database.open(vertx, dir).compose(db -> db.write(w -> {
          w.update("INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)", "n", "v", 1L);
          return w.update("INSERT INTO no_such_table VALUES (1)");
        })
        .transform(ar -> {
          ctx.verify(() -> assertTrue(ar.failed(), "a failing statement fails the write"));
          return db.write(w -> w.update("INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)",
              "n", "v", 2L));
        })
        .compose(v -> db.reader().query("SELECT started_at FROM node_runs").execute())
        .map(rows -> {
          ctx.verify(() -> {
            assertEquals(1, rows.size(), "the failed write left nothing");
            assertEquals(2L, rows.iterator().next().getLong(0));
          });
          return db;
        })
        .compose(Database::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies a full database fails writes with STORAGE_FULL, says so in {@link Database#writeProblem()}, and that
   * writes work again once there is room: no closed statement or open transaction is left behind. SQLite's page
   * limit stands in for the disk (the process test {@code DiskFullIT} fills a real one).
   */
  @Test
  void aFullDatabaseFailsWritesUntilThereIsRoom(Vertx vertx, VertxTestContext ctx) {
    String text = "z".repeat(4_000);
    String insert = "INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)";
    Database.open(vertx, dir).compose(db -> db.write(w -> {
          long pages = ((Number) w.query("PRAGMA page_count").get(0).getValue("page_count")).longValue();
          return w.query("PRAGMA max_page_count = " + (pages + 5));
        })
        .compose(v -> fillUntilFull(db, insert, text, 0))
        .compose(failure -> {
          ctx.verify(() -> {
            assertTrue(failure instanceof DatabaseException, String.valueOf(failure));
            assertEquals(DatabaseException.FULL, ((DatabaseException) failure).code());
            assertEquals(DatabaseException.FULL, db.writeProblem().getString("code"));
            assertTrue(db.writeProblem().getLong("failures") >= 1);
          });
          // Still full: the same write fails the same way, and the writer is not stuck in a transaction.
          return fillUntilFull(db, insert, text, 100).transform(ar -> {
            ctx.verify(() -> assertEquals(DatabaseException.FULL, ((DatabaseException) ar.result()).code(),
                "the same batch fails again at once"));
            return db.write(w -> w.query("PRAGMA max_page_count = 1000000"));
          });
        })
        .compose(v -> db.write(w -> w.update(insert, "room", text, 2L)))
        .compose(v -> db.reader().query("SELECT count(*) FROM node_runs WHERE node_id = 'room'").execute())
        .map(rows -> {
          ctx.verify(() -> {
            assertEquals(1L, rows.iterator().next().getLong(0));
            assertNull(db.writeProblem(), "a write that worked clears the problem");
          });
          return db;
        })
        .compose(Database::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Writes batches of rows until a write fails; bounded. */
  private static Future<Throwable> fillUntilFull(Database db, String insert, String text, int round) {
    if (round > 100) {
      return Future.failedFuture("the database never filled up"); // the second call has one round
    }
    return db.write(w -> {
      w.batch(insert, List.of(Tuple.of("fill", text, (long) round), Tuple.of("fill", text, (long) round)));
      return null;
    }).transform(ar -> ar.failed() ? Future.succeededFuture(ar.cause())
        : fillUntilFull(db, insert, text, round + 1));
  }

  /** Verifies the writer holds no lock between writes: another connection can write at once (no busy wait). */
  @Test
  void anIdleWriterLeavesTheFileToOtherWriters(Vertx vertx, VertxTestContext ctx) {
    Database.open(vertx, dir).compose(db -> db.write(w -> w.update(
                "INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)", "n", "v", 1L))
        .compose(v -> vertx.executeBlocking(() -> {
          try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Database.FILE_NAME));
               Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 0");
            return s.executeUpdate("INSERT INTO node_runs (node_id, version, started_at) VALUES ('o', 'v', 2)");
          }
        }))
        .map(n -> {
          ctx.verify(() -> assertEquals(1, n));
          return db;
        })
        .compose(Database::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies writes asked for without waiting commit in the order they were asked for. */
  @Test
  void writesCommitInTheOrderAsked(Vertx vertx, VertxTestContext ctx) {
    Database.open(vertx, dir).compose(db -> {
      List<Future<Integer>> writes = new ArrayList<>();
      for (long i = 1; i <= 200; i++) {
        long n = i;
        writes.add(db.write(w -> w.update("INSERT INTO node_runs (node_id, version, started_at) VALUES (?, ?, ?)",
            "n", "v", n)));
      }
      return Future.all(writes)
          .compose(v -> db.reader().query("SELECT started_at FROM node_runs ORDER BY run").execute())
          .map(rows -> {
            List<Long> order = new ArrayList<>();
            rows.forEach(r -> order.add(r.getLong(0)));
            ctx.verify(() -> assertEquals(LongStream.rangeClosed(1, 200).boxed().toList(), order));
            return db;
          })
          .compose(Database::close);
    }).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies a write after close fails with a message, and does not reach the file. */
  @Test
  void aWriteAfterCloseIsRefused(Vertx vertx, VertxTestContext ctx) {
    Database.open(vertx, dir).compose(db -> db.close().map(v -> db))
        .compose(db -> db.write(w -> w.update("DELETE FROM node_runs")))
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          assertTrue(err.getMessage().contains("is closed"), err.getMessage());
          ctx.completeNow();
        })));
  }

  /** Verifies a file that is not a database gives a clear error and is left untouched. */
  @Test
  void corruptFileIsRefused(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path file = dir.resolve(Database.FILE_NAME);
    byte[] garbage = "this is not a sqlite database, it is a text file that someone put here........"
        .repeat(20).getBytes();
    Files.write(file, garbage);
    Database.open(vertx, dir).onComplete(ctx.failing(err -> ctx.verify(() -> {
      assertInstanceOf(DatabaseException.class, err);
      assertTrue(err.getMessage().contains("is not a SQLite database or is corrupt"), err.getMessage());
      assertTrue(err.getMessage().contains("never resets it"), err.getMessage());
      assertEquals(garbage.length, Files.size(file), "the file is not reset");
      ctx.completeNow();
    })));
  }

  /** Verifies a database from a newer build is refused rather than downgraded. */
  @Test
  void newerSchemaIsRefused(Vertx vertx, VertxTestContext ctx) {
    Database.open(vertx, dir)
        .compose(db -> db.write(w -> w.update("INSERT INTO schema_migrations VALUES (999, 'future', 'x', 0)")).compose(v -> db.close()))
        .compose(v -> Database.open(vertx, dir))
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          assertTrue(err.getMessage().contains("schema version 999, newer than this build"), err.getMessage());
          ctx.completeNow();
        })));
  }
}
