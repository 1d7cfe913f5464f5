package akita.node.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * A small, synchronous client of a node's REST API for the CLI. Every failure becomes a
 * {@link CliException} with one line a person can act on.
 */
final class NodeApiClient {

  private final URI base;
  private final String apiKey;
  private final String apiKeyHeader;
  private final Duration timeout;
  private final HttpClient http;

  NodeApiClient(String target, String apiKey, String apiKeyHeader, long timeoutMs) {
    this.base = parse(target);
    this.apiKey = apiKey;
    this.apiKeyHeader = apiKeyHeader;
    this.timeout = Duration.ofMillis(Math.max(1, timeoutMs));
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
  }

  private static URI parse(String target) {
    try {
      URI uri = new URI(target.endsWith("/") ? target.substring(0, target.length() - 1) : target);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new CliException(AkitaCommand.EXIT_USAGE, "--target-node-api must be an http(s) URL such as "
            + "http://127.0.0.1:8080, not '" + target + "'");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new CliException(AkitaCommand.EXIT_USAGE, "--target-node-api is not a URL: '" + target + "'");
    }
  }

  JsonObject get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(base.getPath() + path)).GET());
  }

  JsonObject post(String path, JsonObject body) {
    return send(HttpRequest.newBuilder(base.resolve(base.getPath() + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  JsonObject postBytes(String path, byte[] body, String contentType) {
    return send(HttpRequest.newBuilder(base.resolve(base.getPath() + path))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  JsonObject delete(String path) {
    return send(HttpRequest.newBuilder(base.resolve(base.getPath() + path)).DELETE());
  }

  /**
   * Opens the node's live event stream ({@code GET /api/v1/events}).
   *
   * @param query the query string, starting with '?', or empty
   * @param lastEventId the seq to resume after, or {@code null} for the live tail only
   * @return the open stream's body
   * @throws CliException if the node cannot be reached or refuses (its code and message)
   */
  java.io.InputStream events(String query, Long lastEventId) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(base.getPath() + "/api/v1/events" + query))
        .GET().timeout(timeout).header("Accept", "text/event-stream");
    if (lastEventId != null) {
      request.header("Last-Event-ID", String.valueOf(lastEventId));
    }
    if (apiKey != null && !apiKey.isEmpty()) {
      request.header(apiKeyHeader, apiKey);
    }
    HttpResponse<java.io.InputStream> response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      String text;
      try (java.io.InputStream in = response.body()) {
        text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      } catch (IOException e) {
        text = "";
      }
      throw refused(response.statusCode(), text);
    }
    return response.body();
  }

  private <T> HttpResponse<T> exchange(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(request.build(), handler);
    } catch (HttpConnectTimeoutException e) {
      throw unreachable("no answer within " + timeout.toMillis() + " ms");
    } catch (HttpTimeoutException e) {
      throw new CliException(AkitaCommand.EXIT_FAILED, "the node at " + base + " did not answer within "
          + timeout.toMillis() + " ms");
    } catch (ConnectException e) {
      throw unreachable("connection refused");
    } catch (IOException e) {
      throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(AkitaCommand.EXIT_FAILED, "interrupted");
    }
  }

  private CliException refused(int status, String text) {
    JsonObject err;
    try {
      err = new JsonObject(text).getJsonObject("error", new JsonObject());
    } catch (DecodeException | ClassCastException e) {
      return new CliException(AkitaCommand.EXIT_FAILED, base + " answered " + status
          + " with something that is not Akita's JSON; is --target-node-api pointing at an Akita node?");
    }
    return new CliException(AkitaCommand.EXIT_FAILED, "the node refused (" + status + " "
        + err.getString("code", "UNKNOWN") + "): " + err.getString("message", "no message"));
  }

  private JsonObject send(HttpRequest.Builder request) {
    request.timeout(timeout).header("Accept", "application/json");
    if (apiKey != null && !apiKey.isEmpty()) {
      request.header(apiKeyHeader, apiKey);
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpConnectTimeoutException e) {
      throw unreachable("no answer within " + timeout.toMillis() + " ms");
    } catch (HttpTimeoutException e) {
      throw new CliException(AkitaCommand.EXIT_FAILED, "the node at " + base + " did not answer within "
          + timeout.toMillis() + " ms");
    } catch (ConnectException e) {
      throw unreachable("connection refused");
    } catch (IOException e) {
      throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(AkitaCommand.EXIT_FAILED, "interrupted");
    }
    JsonObject body;
    try {
      body = response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body());
    } catch (DecodeException e) {
      throw new CliException(AkitaCommand.EXIT_FAILED, base + " answered " + response.statusCode()
          + " with something that is not Akita's JSON; is --target-node-api pointing at an Akita node?");
    }
    if (response.statusCode() >= 400) {
      JsonObject err = body.getJsonObject("error", new JsonObject());
      throw new CliException(AkitaCommand.EXIT_FAILED, "the node refused (" + response.statusCode() + " "
          + err.getString("code", "UNKNOWN") + "): " + err.getString("message", "no message"));
    }
    return body;
  }

  private CliException unreachable(String why) {
    return new CliException(AkitaCommand.EXIT_FAILED, "cannot reach the node API at " + base + ": " + why
        + " (is a node running there? set --target-node-api or AKITA_TARGET_NODE_API)");
  }
}
