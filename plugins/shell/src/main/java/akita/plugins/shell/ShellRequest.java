package akita.plugins.shell;

import akita.api.task.TaskException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated {@code shell} payload.
 *
 * @param argv the program and its arguments; a script is {@code /bin/sh -c script}
 * @param workingDir the absolute working directory, or {@code null} for the attempt's scratch folder
 * @param env variables added to the allowlisted environment
 * @param stdin text written to the process's standard input, or {@code null} for none
 * @param timeoutMs how long the command may run, or {@code null} for the time left until the deadline
 * @param maxOutputBytes how many bytes of each of stdout and stderr are kept
 * @param failOnNonZeroExit whether a non-zero exit code fails the attempt
 */
record ShellRequest(List<String> argv, String workingDir, Map<String, String> env, String stdin, Long timeoutMs,
    int maxOutputBytes, boolean failOnNonZeroExit) {

  static final int DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;
  static final int MAX_OUTPUT_BYTES_LIMIT = 16 << 20;
  static final String SHELL = "/bin/sh";

  private static final Set<String> FIELDS = Set.of("command", "script", "shell", "workingDir", "env", "stdin",
      "timeoutMs", "maxOutputBytes", "failOnNonZeroExit");
  private static final String FIELD_LIST =
      "command, script, shell, workingDir, env, stdin, timeoutMs, maxOutputBytes, failOnNonZeroExit";

  ShellRequest {
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
  }

  /**
   * Checks a payload.
   *
   * @param payload the task's payload
   * @return the request
   * @throws TaskException {@link TaskException#INVALID_PAYLOAD} naming the field at fault
   */
  static ShellRequest parse(JsonObject payload) {
    for (String name : payload.fieldNames()) {
      if (!FIELDS.contains(name)) {
        throw TaskException.invalidPayload("unknown field '" + name + "'; a shell task takes " + FIELD_LIST);
      }
    }
    Object command = payload.getValue("command");
    Object script = payload.getValue("script");
    boolean shell = bool(payload, "shell", false);
    List<String> argv;
    if (command != null && script != null) {
      throw TaskException.invalidPayload("give either command or script, not both");
    } else if (command != null) {
      if (shell) {
        throw TaskException.invalidPayload("shell: true applies to script only; command is run directly, "
            + "without a shell");
      }
      argv = argv(command);
    } else if (script != null) {
      if (!(script instanceof String text)) {
        throw TaskException.invalidPayload("script must be a string, not " + typeOf(script));
      }
      if (!shell) {
        throw TaskException.invalidPayload("script is run by " + SHELL + " only when shell: true is also set; "
            + "to run a program directly, give command as an array of strings");
      }
      if (text.isBlank()) {
        throw TaskException.invalidPayload("script must not be empty");
      }
      requireNoNul("script", text);
      argv = List.of(SHELL, "-c", text);
    } else {
      throw TaskException.invalidPayload("command is required: the program and its arguments as an array of "
          + "strings, such as [\"echo\", \"hi\"] (or script with shell: true)");
    }
    return new ShellRequest(argv, workingDir(payload), env(payload), string(payload, "stdin"),
        timeoutMs(payload), maxOutputBytes(payload), bool(payload, "failOnNonZeroExit", true));
  }

  private static List<String> argv(Object command) {
    if (!(command instanceof JsonArray array)) {
      throw TaskException.invalidPayload("command must be an array of strings (the program and its arguments), not "
          + typeOf(command) + (command instanceof String ? "; to run a shell line, give script with shell: true" : ""));
    }
    if (array.isEmpty()) {
      throw TaskException.invalidPayload("command must not be empty: give at least the program to run");
    }
    List<String> argv = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      Object arg = array.getValue(i);
      String field = "command[" + i + "]";
      if (!(arg instanceof String s)) {
        throw TaskException.invalidPayload(field + " must be a string, not " + typeOf(arg));
      }
      requireNoNul(field, s);
      argv.add(s);
    }
    if (argv.get(0).isEmpty()) {
      throw TaskException.invalidPayload("command[0] must name the program to run, not be empty");
    }
    return argv;
  }

  private static String workingDir(JsonObject payload) {
    String dir = string(payload, "workingDir");
    if (dir == null) {
      return null;
    }
    requireNoNul("workingDir", dir);
    // A relative path could only name something inside the fresh, empty scratch folder.
    if (!dir.startsWith("/")) {
      throw TaskException.invalidPayload("workingDir must be an absolute path, not '" + dir + "'");
    }
    return dir;
  }

  private static Map<String, String> env(JsonObject payload) {
    Object value = payload.getValue("env");
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject object)) {
      throw TaskException.invalidPayload("env must be an object of variable names to string values, not "
          + typeOf(value));
    }
    Map<String, String> env = new HashMap<>();
    for (Map.Entry<String, Object> e : object) {
      String name = e.getKey();
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        throw TaskException.invalidPayload("env: '" + name + "' is not a valid variable name (it must be non-empty, "
            + "without '=' or NUL)");
      }
      if (!(e.getValue() instanceof String s)) {
        throw TaskException.invalidPayload("env." + name + " must be a string, not " + typeOf(e.getValue()));
      }
      requireNoNul("env." + name, s);
      env.put(name, s);
    }
    return env;
  }

  private static Long timeoutMs(JsonObject payload) {
    Object value = payload.getValue("timeoutMs");
    if (value == null) {
      return null;
    }
    Long ms = whole(value);
    if (ms == null || ms <= 0) {
      throw TaskException.invalidPayload("timeoutMs must be a positive whole number of milliseconds, not " + value);
    }
    return ms;
  }

  private static int maxOutputBytes(JsonObject payload) {
    Object value = payload.getValue("maxOutputBytes");
    if (value == null) {
      return DEFAULT_MAX_OUTPUT_BYTES;
    }
    Long bytes = whole(value);
    if (bytes == null || bytes < 0 || bytes > MAX_OUTPUT_BYTES_LIMIT) {
      throw TaskException.invalidPayload("maxOutputBytes must be a whole number from 0 to " + MAX_OUTPUT_BYTES_LIMIT
          + " (16 MiB), not " + value);
    }
    return bytes.intValue();
  }

  private static Long whole(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    return null;
  }

  private static String string(JsonObject payload, String field) {
    Object value = payload.getValue(field);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw TaskException.invalidPayload(field + " must be a string, not " + typeOf(value));
  }

  private static boolean bool(JsonObject payload, String field, boolean absent) {
    Object value = payload.getValue(field);
    if (value == null) {
      return absent;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    throw TaskException.invalidPayload(field + " must be true or false, not " + typeOf(value));
  }

  private static void requireNoNul(String field, String value) {
    if (value.indexOf('\0') >= 0) {
      throw TaskException.invalidPayload(field + " must not contain a NUL character");
    }
  }

  private static String typeOf(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof String) {
      return "a string";
    } else if (value instanceof Number) {
      return "a number";
    } else if (value instanceof Boolean) {
      return "a boolean";
    } else if (value instanceof JsonArray) {
      return "an array";
    } else if (value instanceof JsonObject) {
      return "an object";
    }
    return value.getClass().getSimpleName();
  }
}
