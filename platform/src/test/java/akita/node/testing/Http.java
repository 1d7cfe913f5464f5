package akita.node.testing;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A blocking HTTP client for tests that talk to a node's API over a real socket. */
public final class Http {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  /** An answer: status, raw body, content type. */
  public record Answer(int status, String body, String contentType) {
    /** @return the body as JSON */
    public JsonObject json() {
      return new JsonObject(body);
    }

    /** @return the error code of an error answer */
    public String errorCode() {
      return json().getJsonObject("error").getString("code");
    }
  }

  private Http() {
  }

  public static Answer get(String url, String... headers) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url)).GET(), headers);
  }

  public static Answer post(String url, String body, String... headers) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body)), headers);
  }

  public static Answer method(String method, String url, String... headers) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody()), headers);
  }

  private static Answer send(HttpRequest.Builder b, String... headers) throws Exception {
    b.timeout(Duration.ofSeconds(15));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
  }
}
