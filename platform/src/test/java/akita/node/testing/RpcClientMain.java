package akita.node.testing;

import akita.api.client.TaskClient;
import akita.node.boot.HazelcastSetup;
import akita.node.config.ConfigLoader;
import akita.node.config.ConfigOption;
import akita.node.config.NodeConfig;
import com.hazelcast.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM service that joins the cluster's event bus (as a Hazelcast member that is not an Akita node)
 * and uses the public task RPC through {@link TaskClient}: it submits an echo task and an invalid one, awaits
 * the first, and prints one JSON line with what it saw. Run by {@code TaskRpcProcessIT}.
 *
 * <p>Arguments: cluster name, member list, own Hazelcast port.
 */
public final class RpcClientMain {

  private RpcClientMain() {
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("hazelcast.phone.home.enabled", "false");
    Map<ConfigOption, String> f = ConfigLoader.newFlagMap();
    f.put(ConfigOption.CLUSTER_NAME, args[0]);
    f.put(ConfigOption.MEMBERS, args[1]);
    f.put(ConfigOption.HZ_PORT, args[2]);
    f.put(ConfigOption.ROLES, "worker");
    NodeConfig cfg = ConfigLoader.load(f, Map.of(), Path.of("plugins"));
    Config hz = HazelcastSetup.build(cfg, "client", "client");
    // No Akita member attributes: the cluster does not count this JVM as a node (no quorum, no leadership).
    hz.getMemberAttributeConfig().setAttributes(new HashMap<>());
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    TaskClient client = new TaskClient(vertx);
    JsonObject out = new JsonObject();
    try {
      JsonObject submitted = client.submit(new JsonObject().put("type", "echo")
          .put("payload", new JsonObject().put("from", "another JVM"))).toCompletionStage().toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
      JsonObject done = client.await(submitted.getString("id"), Duration.ofSeconds(60)).toCompletionStage()
          .toCompletableFuture().get(70, TimeUnit.SECONDS);
      out.put("state", done.getString("state")).put("result", done.getJsonObject("result"));
      try {
        client.submit(new JsonObject().put("type", "echo").put("priority", -1)).toCompletionStage()
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
        out.put("invalid", "accepted");
      } catch (java.util.concurrent.ExecutionException e) {
        TaskClient.TaskClientException te = (TaskClient.TaskClientException) e.getCause();
        out.put("invalid", te.error().status() + " " + te.error().code());
      }
    } finally {
      System.out.println(out.encode());
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    System.exit(0);
  }
}
