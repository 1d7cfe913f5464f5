package akita.node.plugin;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * A logger that puts fixed MDC entries (plugin id, task id, attempt) on every event it logs, whatever
 * thread logs it: async code cannot rely on a thread's MDC.
 */
public final class ContextLogger {

  private ContextLogger() {
  }

  /**
   * @param delegate the logger to log through
   * @param mdc the entries to add to each event
   * @return a logger that adds them
   */
  public static Logger wrap(Logger delegate, Map<String, String> mdc) {
    return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
        (proxy, method, args) -> {
          Map<String, String> before = MDC.getCopyOfContextMap();
          mdc.forEach(MDC::put);
          try {
            return method.invoke(delegate, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          } finally {
            if (before == null) {
              MDC.clear();
            } else {
              MDC.setContextMap(before);
            }
          }
        });
  }
}
