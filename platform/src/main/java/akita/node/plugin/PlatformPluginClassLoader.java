package akita.node.plugin;

import java.util.List;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginManager;

/**
 * Loads a plugin's own classes from its jar first, but always takes the packages that plugins and the
 * platform must share from the platform: the plugin API, Vert.x, Netty, Jackson, SLF4J and PF4J. A plugin
 * that bundled its own copy of one of these would otherwise get a second, incompatible class
 * ("X cannot be cast to X", STYLE.md §10).
 */
final class PlatformPluginClassLoader extends PluginClassLoader {

  static final List<String> SHARED_PACKAGES = List.of(
      "akita.api.", "io.vertx.", "io.netty.", "com.fasterxml.jackson.", "org.slf4j.", "org.pf4j.");

  static {
    registerAsParallelCapable();
  }

  PlatformPluginClassLoader(PluginManager manager, PluginDescriptor descriptor, ClassLoader parent) {
    super(manager, descriptor, parent);
  }

  @Override
  public Class<?> loadClass(String name) throws ClassNotFoundException {
    for (String prefix : SHARED_PACKAGES) {
      if (name.startsWith(prefix)) {
        return getParent().loadClass(name);
      }
    }
    return super.loadClass(name);
  }
}
