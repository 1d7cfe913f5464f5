package akita.node.tasks;

/** A submitted task that is not valid; {@link #field()} names the offending field. */
public final class TaskValidationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String field;

  /**
   * @param field the field at fault, or {@code null} for the whole task
   * @param message what is wrong, for a person
   */
  public TaskValidationException(String field, String message) {
    super(message, null, false, false);
    this.field = field;
  }

  /** @return the field at fault, or {@code null} */
  public String field() {
    return field;
  }
}
