package akita.node.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akita.api.client.TaskClient;
import org.junit.jupiter.api.Test;

/** The client in the plugin API copies the public task addresses; the copies must match the platform's. */
class TaskClientAddressesTest {

  @Test
  void theClientsAddressesAreThePlatforms() {
    assertEquals(TaskAddresses.SUBMIT, TaskClient.SUBMIT);
    assertEquals(TaskAddresses.SUBMIT_BATCH, TaskClient.SUBMIT_BATCH);
    assertEquals(TaskAddresses.SUBMIT_AT_LEADER, TaskClient.SUBMIT_AT_LEADER);
    assertEquals(TaskAddresses.SUBMIT_BATCH_AT_LEADER, TaskClient.SUBMIT_BATCH_AT_LEADER);
    assertEquals(akita.node.tasks.TaskGateway.MAX_BATCH, TaskClient.MAX_BATCH);
    assertEquals(TaskAddresses.GET, TaskClient.GET);
    assertEquals(TaskAddresses.LIST, TaskClient.LIST);
    assertEquals(TaskAddresses.CANCEL, TaskClient.CANCEL);
    assertEquals(TaskAddresses.EVENTS, TaskClient.EVENTS);
  }

  @Test
  void theClientsTerminalStatesAreThePlatforms() {
    for (TaskState s : TaskState.values()) {
      assertEquals(s.terminal(), TaskClient.TERMINAL_STATES.contains(s.name()), s.name());
    }
  }
}
