package akita.node.cli;

import picocli.CommandLine.Option;

/** Options every client command shares: which node to talk to, with which key, and in which format. */
final class ClientOptions {

  @Option(names = "--target-node-api", paramLabel = "URL",
      defaultValue = "${env:AKITA_TARGET_NODE_API:-http://127.0.0.1:8080}",
      description = "Base URL of the node's API. Env: AKITA_TARGET_NODE_API. Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:AKITA_API_KEY}",
      description = "API key, when the node requires one. Env: AKITA_API_KEY.")
  String apiKey;

  @Option(names = "--api-key-header", paramLabel = "NAME",
      defaultValue = "${env:AKITA_API_KEY_HEADER:-X-API-Key}",
      description = "Header that carries the API key. Env: AKITA_API_KEY_HEADER. Default: ${DEFAULT-VALUE}.")
  String apiKeyHeader;

  @Option(names = "--json", description = "Print the node's JSON answer instead of a table.")
  boolean json;

  @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "10000",
      description = "How long to wait for the node. Default: ${DEFAULT-VALUE}.")
  long timeoutMs;

  NodeApiClient client() {
    return new NodeApiClient(target, apiKey, apiKeyHeader, timeoutMs);
  }
}
