package akita.plugins.http;

import akita.api.task.TaskException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A validated {@code http} payload.
 *
 * @param method the request method
 * @param host the host to connect to, without IPv6 brackets
 * @param port the port to connect to
 * @param ssl whether the URL is {@code https}
 * @param requestUri the path and query sent in the request line
 * @param headers the request headers, in payload order
 * @param body {@code null}, a {@link String} sent as UTF-8, or a {@link JsonObject} or {@link JsonArray} sent as
 *     JSON
 * @param timeoutMs how long the exchange may take, or {@code null} for the time left until the deadline
 * @param maxBodyBytes how many bytes of the response body are kept
 * @param expectStatus the statuses that count as success, or {@code null} for any 2xx or 3xx
 * @param followRedirects whether redirects are followed (the client follows them for GET and HEAD only)
 */
record HttpPayload(HttpMethod method, String host, int port, boolean ssl, String requestUri,
    Map<String, String> headers, Object body, Long timeoutMs, int maxBodyBytes, Set<Integer> expectStatus,
    boolean followRedirects) {

  static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
  static final int MAX_BODY_BYTES_LIMIT = 16 << 20;

  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  private static final Set<String> FIELDS = Set.of("method", "url", "headers", "body", "timeoutMs", "maxBodyBytes",
      "expectStatus", "followRedirects");
  private static final String FIELD_LIST =
      "method, url, headers, body, timeoutMs, maxBodyBytes, expectStatus, followRedirects";
  /** RFC 9110 token characters: what a header name may consist of. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  /** Framing headers the client derives from the body; a second, different value would corrupt the request. */
  private static final Set<String> FRAMING_HEADERS = Set.of("content-length", "transfer-encoding");

  HttpPayload {
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    expectStatus = expectStatus == null ? null : Set.copyOf(expectStatus);
  }

  /**
   * Checks a payload.
   *
   * @param payload the task's payload
   * @return the request
   * @throws TaskException {@link TaskException#INVALID_PAYLOAD} naming the field at fault
   */
  static HttpPayload parse(JsonObject payload) {
    for (String name : payload.fieldNames()) {
      if (!FIELDS.contains(name)) {
        throw TaskException.invalidPayload("unknown field '" + name + "'; an http task takes " + FIELD_LIST);
      }
    }
    HttpMethod method = method(payload);
    URI uri = url(payload);
    boolean ssl = uri.getScheme().equalsIgnoreCase("https");
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : ssl ? 443 : 80;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String requestUri = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    return new HttpPayload(method, host, port, ssl, requestUri, headers(payload), body(payload),
        timeoutMs(payload), maxBodyBytes(payload), expectStatus(payload), bool(payload, "followRedirects", true));
  }

  /**
   * @param status a response status
   * @return whether it counts as success
   */
  boolean accepts(int status) {
    return expectStatus == null ? status >= 200 && status < 400 : expectStatus.contains(status);
  }

  /** @return {@code host:port}, for messages (the URL itself may carry secrets in its query) */
  String target() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  private static HttpMethod method(JsonObject payload) {
    Object value = payload.getValue("method");
    if (value == null) {
      return HttpMethod.GET;
    }
    if (!(value instanceof String name)) {
      throw TaskException.invalidPayload("method must be a string, one of " + methods() + ", not " + typeOf(value));
    }
    String upper = name.toUpperCase(Locale.ROOT);
    if (!METHODS.contains(upper)) {
      throw TaskException.invalidPayload("method must be one of " + methods() + ", not '" + name + "'");
    }
    return HttpMethod.valueOf(upper);
  }

  private static URI url(JsonObject payload) {
    Object value = payload.getValue("url");
    if (value == null) {
      throw TaskException.invalidPayload("url is required: an absolute http or https URL, such as "
          + "\"https://example.com/path\"");
    }
    if (!(value instanceof String text)) {
      throw TaskException.invalidPayload("url must be a string, not " + typeOf(value));
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw TaskException.invalidPayload("url is not a valid URL: " + e.getMessage()
          + " (characters such as spaces must be percent-encoded)");
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      throw TaskException.invalidPayload("url must be an absolute http or https URL, not '" + text + "'");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw TaskException.invalidPayload("url must name a valid host name or address, which '" + text
          + "' does not");
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      throw TaskException.invalidPayload("url has port " + uri.getPort() + "; a port is from 1 to 65535");
    }
    if (uri.getRawUserInfo() != null) {
      // Credentials in a URL end up in logs and task records; an explicit header keeps them where they belong.
      throw TaskException.invalidPayload("url must not contain credentials (user:password@); send them in an "
          + "Authorization header instead");
    }
    return uri;
  }

  private static Map<String, String> headers(JsonObject payload) {
    Object value = payload.getValue("headers");
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject object)) {
      throw TaskException.invalidPayload("headers must be an object of header names to string values, not "
          + typeOf(value));
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : object) {
      String name = e.getKey();
      if (!TOKEN.matcher(name).matches()) {
        throw TaskException.invalidPayload("headers: '" + name + "' is not a valid header name");
      }
      if (FRAMING_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw TaskException.invalidPayload("headers." + name + " is set by the client from the body; remove it");
      }
      if (!(e.getValue() instanceof String s)) {
        throw TaskException.invalidPayload("headers." + name + " must be a string, not " + typeOf(e.getValue()));
      }
      if (s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\0') >= 0) {
        throw TaskException.invalidPayload("headers." + name + " must not contain CR, LF or NUL characters");
      }
      headers.put(name, s);
    }
    return headers;
  }

  private static Object body(JsonObject payload) {
    Object value = payload.getValue("body");
    if (value == null || value instanceof String) {
      return value;
    }
    if (value instanceof JsonObject o) {
      return o.copy();
    }
    if (value instanceof JsonArray a) {
      return a.copy();
    }
    throw TaskException.invalidPayload("body must be a string, or an object or array to send as JSON, not "
        + typeOf(value));
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

  private static int maxBodyBytes(JsonObject payload) {
    Object value = payload.getValue("maxBodyBytes");
    if (value == null) {
      return DEFAULT_MAX_BODY_BYTES;
    }
    Long bytes = whole(value);
    if (bytes == null || bytes < 0 || bytes > MAX_BODY_BYTES_LIMIT) {
      throw TaskException.invalidPayload("maxBodyBytes must be a whole number from 0 to " + MAX_BODY_BYTES_LIMIT
          + " (16 MiB), not " + value);
    }
    return bytes.intValue();
  }

  private static Set<Integer> expectStatus(JsonObject payload) {
    Object value = payload.getValue("expectStatus");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array) || array.isEmpty()) {
      throw TaskException.invalidPayload("expectStatus must be a non-empty array of HTTP statuses, such as "
          + "[200, 204], not " + (value instanceof JsonArray ? "an empty array" : typeOf(value)));
    }
    Set<Integer> statuses = new TreeSet<>();
    for (int i = 0; i < array.size(); i++) {
      Long status = whole(array.getValue(i));
      if (status == null || status < 100 || status > 599) {
        throw TaskException.invalidPayload("expectStatus[" + i + "] must be an HTTP status from 100 to 599, not "
            + array.getValue(i));
      }
      statuses.add(status.intValue());
    }
    return statuses;
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

  private static Long whole(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    return null;
  }

  private static String methods() {
    return String.join(", ", new TreeSet<>(METHODS));
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
