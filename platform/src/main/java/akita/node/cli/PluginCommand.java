package akita.node.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code plugin list|deploy|remove}: the cluster's plugins. */
@Command(name = "plugin", mixinStandardHelpOptions = true, description = "List, deploy and remove plugins.",
    subcommands = {PluginCommand.ListPlugins.class, PluginCommand.Deploy.class, PluginCommand.Remove.class})
final class PluginCommand {

  /** {@code plugin list}. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Show every plugin in the cluster: version, state, task types and the nodes that run it.")
  static final class ListPlugins extends ClientCommand {
    @Override
    JsonObject request(NodeApiClient client) {
      return client.get("/api/v1/plugins");
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      Table t = new Table("ID", "VERSION", "STATE", "SOURCE", "TASK TYPES", "NODES", "PROBLEMS");
      for (Object o : answer.getJsonArray("plugins")) {
        JsonObject p = (JsonObject) o;
        JsonArray failed = p.getJsonArray("failedOn", new JsonArray());
        StringBuilder problems = new StringBuilder();
        for (Object f : failed) {
          JsonObject fo = (JsonObject) f;
          problems.append(problems.length() == 0 ? "" : "; ").append(fo.getString("node")).append(": ")
              .append(fo.getString("error"));
        }
        t.row(p.getString("id"), p.getString("version"), p.getString("state"), p.getString("source"),
            Table.list(p.getJsonArray("taskTypes")), Table.list(p.getJsonArray("nodes")),
            problems.length() == 0 ? "-" : problems.toString());
      }
      t.print(out);
    }
  }

  /** {@code plugin deploy FILE}. */
  @Command(name = "deploy", mixinStandardHelpOptions = true,
      description = "Deploy a plugin jar to every node of the cluster, including nodes that join later.")
  static final class Deploy extends ClientCommand {
    @Parameters(index = "0", paramLabel = "JAR", description = "The plugin jar.")
    Path jar;

    @Override
    JsonObject request(NodeApiClient client) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(jar);
      } catch (IOException e) {
        throw new CliException(AkitaCommand.EXIT_USAGE, "cannot read " + jar + ": " + e.getMessage());
      }
      String sha;
      try {
        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      return client.postBytes("/api/v1/plugins?sha256=" + sha, bytes, "application/java-archive");
    }

    @Override
    void print(JsonObject e, PrintWriter out) {
      out.println("deployed plugin " + e.getString("id") + " " + e.getString("version") + " (sha256 "
          + e.getString("sha256") + "); every node loads it");
    }
  }

  /** {@code plugin remove ID}. */
  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove a cluster-deployed plugin from every node.")
  static final class Remove extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The plugin id.")
    String id;

    @Override
    JsonObject request(NodeApiClient client) {
      return client.delete("/api/v1/plugins/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
    }

    @Override
    void print(JsonObject answer, PrintWriter out) {
      JsonObject e = answer.getJsonObject("removed");
      out.println("removed plugin " + e.getString("id") + " " + e.getString("version") + " from the cluster");
    }
  }
}
