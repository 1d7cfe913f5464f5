package akita.node.tasks;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Removes entries from the task map, sent with {@code submitToKeys} for the keys of one partition at a time, so
 * that evicting thousands of finished tasks is one operation per partition rather than one per task (and not one
 * per partition with every key, which is what a call on keys of many partitions sends). It runs on the members
 * that own the keys: every node runs the same platform jar, so the class is there.
 */
final class TaskMapRemoval implements EntryProcessor<String, String, Boolean> {

  private static final long serialVersionUID = 1L;

  @Override
  public Boolean process(Map.Entry<String, String> entry) {
    boolean present = entry.getValue() != null;
    entry.setValue(null); // removes the entry (and its backup)
    return present;
  }
}
