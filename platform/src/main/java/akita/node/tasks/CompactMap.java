package akita.node.tasks;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A small read-only map that keeps its entries' order in one array: the leader holds every queued task's payload,
 * and a {@code LinkedHashMap} of two fields takes about 180 bytes where this takes 48. Only for maps nobody
 * changes (a task's payload is never changed once submitted); any change throws.
 */
final class CompactMap extends AbstractMap<String, Object> {

  /** Maps with more entries than this stay as they are: the saving is in the fixed cost of a small map. */
  static final int MAX_ENTRIES = 8;

  private final Object[] keysAndValues;

  private CompactMap(Object[] keysAndValues) {
    this.keysAndValues = keysAndValues;
  }

  /**
   * @param map a map with string keys
   * @return a compact copy in the same order, or the map itself when it is large or already compact
   */
  static Map<String, Object> of(Map<String, Object> map) {
    if (map instanceof CompactMap || map.size() > MAX_ENTRIES) {
      return map;
    }
    Object[] kv = new Object[map.size() * 2];
    int i = 0;
    for (Map.Entry<String, Object> e : map.entrySet()) {
      kv[i++] = e.getKey();
      kv[i++] = e.getValue();
    }
    return new CompactMap(kv);
  }

  @Override
  public int size() {
    return keysAndValues.length / 2;
  }

  @Override
  public Object get(Object key) {
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (keysAndValues[i].equals(key)) {
        return keysAndValues[i + 1];
      }
    }
    return null;
  }

  @Override
  public boolean containsKey(Object key) {
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (keysAndValues[i].equals(key)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Set<Map.Entry<String, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return keysAndValues.length / 2;
      }

      @Override
      public Iterator<Map.Entry<String, Object>> iterator() {
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < keysAndValues.length;
          }

          @Override
          public Map.Entry<String, Object> next() {
            if (next >= keysAndValues.length) {
              throw new NoSuchElementException();
            }
            Map.Entry<String, Object> e = new SimpleImmutableEntry<>((String) keysAndValues[next],
                keysAndValues[next + 1]);
            next += 2;
            return e;
          }
        };
      }
    };
  }
}
