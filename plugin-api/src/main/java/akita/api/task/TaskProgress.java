package akita.api.task;

import io.vertx.core.json.JsonObject;

/**
 * How far a task attempt is.
 *
 * @param fraction done so far, from 0 to 1, or a negative number when unknown
 * @param message what it is doing, for people; may be {@code null}
 */
public record TaskProgress(double fraction, String message) {

  /**
   * @param fraction done so far, from 0 to 1, or negative when unknown
   * @param message what it is doing; may be {@code null}
   */
  public TaskProgress {
    if (Double.isNaN(fraction) || fraction > 1) {
      throw new IllegalArgumentException("fraction must be at most 1, or negative for unknown: " + fraction);
    }
  }

  /** @return {@code {"fraction": n, "message": s}} */
  public JsonObject toJson() {
    return new JsonObject().put("fraction", fraction).put("message", message);
  }

  /**
   * @param json as written by {@link #toJson()}
   * @return the progress
   */
  public static TaskProgress fromJson(JsonObject json) {
    return new TaskProgress(json.getDouble("fraction", -1.0), json.getString("message"));
  }
}
