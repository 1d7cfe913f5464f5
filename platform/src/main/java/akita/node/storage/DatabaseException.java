package akita.node.storage;

/** The node's database cannot be opened or used; the message says what to do about it. */
public final class DatabaseException extends RuntimeException {
  /** {@link #code()} when the disk holding the database is full. */
  public static final String FULL = "STORAGE_FULL";
  /** {@link #code()} for another fault of the database file or its disk (corrupt, read-only, I/O error). */
  public static final String FAILED = "STORAGE_FAILED";

  private static final long serialVersionUID = 1L;

  private final String code;

  public DatabaseException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public DatabaseException(String message, Throwable cause) {
    this(null, message, cause);
  }

  public DatabaseException(String message) {
    super(message);
    this.code = null;
  }

  /**
   * @param t a failure
   * @return whether it is a fault of the database file or its disk ({@link #code()} set): the database logged it
   *     when writes began to fail, so a caller that tries again need not log it each time
   */
  public static boolean isStorageFault(Throwable t) {
    return t instanceof DatabaseException de && de.code != null;
  }

  /** @return {@link #FULL} or {@link #FAILED} for a fault of the file or disk, null for other failures */
  public String code() {
    return code;
  }
}
