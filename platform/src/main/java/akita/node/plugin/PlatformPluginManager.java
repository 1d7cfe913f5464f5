package akita.node.plugin;

import akita.api.PluginApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.pf4j.CompoundPluginDescriptorFinder;
import org.pf4j.DefaultPluginManager;
import org.pf4j.JarPluginRepository;
import org.pf4j.ManifestPluginDescriptorFinder;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginDescriptorFinder;
import org.pf4j.PluginLoader;
import org.pf4j.PluginRepository;
import org.pf4j.RuntimeMode;
import org.pf4j.util.FileUtils;

/**
 * PF4J configured for Akita Genesis: plugins are jars in one folder, described by their manifest, loaded
 * with {@link PlatformPluginClassLoader}, and checked against the plugin API version
 * ({@code Plugin-Requires}). Always in deployment mode, whatever {@code pf4j.mode} says.
 */
final class PlatformPluginManager extends DefaultPluginManager {

  PlatformPluginManager(Path pluginsDir) {
    super(List.of(pluginsDir));
    setSystemVersion(PluginApi.VERSION);
  }

  @Override
  public RuntimeMode getRuntimeMode() {
    return RuntimeMode.DEPLOYMENT;
  }

  @Override
  protected PluginRepository createPluginRepository() {
    return new JarPluginRepository(getPluginsRoots());
  }

  @Override
  protected PluginDescriptorFinder createPluginDescriptorFinder() {
    return new CompoundPluginDescriptorFinder().add(new ManifestPluginDescriptorFinder());
  }

  @Override
  protected PluginLoader createPluginLoader() {
    return new PluginLoader() {
      @Override
      public boolean isApplicable(Path pluginPath) {
        return Files.isRegularFile(pluginPath) && FileUtils.isJarFile(pluginPath);
      }

      @Override
      public ClassLoader loadPlugin(Path pluginPath, PluginDescriptor descriptor) {
        PlatformPluginClassLoader loader = new PlatformPluginClassLoader(PlatformPluginManager.this, descriptor,
            PlatformPluginManager.class.getClassLoader());
        loader.addFile(pluginPath.toFile());
        return loader;
      }
    };
  }
}
