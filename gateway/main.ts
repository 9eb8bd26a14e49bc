import { loadConfig } from '../config/index.js';
import { stopOnSignals } from '../platform/lifecycle.js';
import { configOrExit } from '../platform/run.js';
import { staticResolver } from '../platform/registry/resolver.js';

const { config, registryConfig } = configOrExit(() => {
  const loaded = loadConfig('gateway');
  const registry = loadConfig('registry');
  return { config: loaded, registryConfig: registry };
});
// Imported after the configuration is valid, so a config error is the first thing printed.
const { requireGatewayCredentials, startGateway } = await import('./app.js');
configOrExit(() => requireGatewayCredentials(config));
const { createLogger } = await import('../platform/observability/logger.js');
const { createRegistry } = await import('./registry/registry.js');
const { withFallback } = await import('../platform/registry/fallback-resolver.js');

const logger = createLogger('gateway', config.logLevel);
const urls = { users: config.usersUrl, tweets: config.tweetsUrl, feeds: config.feedsUrl };
const registry = await createRegistry(registryConfig, {
  issuer: config.issuer,
  logger,
  staticUrls: urls,
});
const running = await startGateway(config, {
  logger,
  registry,
  // Registered instances first; the configured URL while a service has none registered.
  resolver: withFallback(registry.resolver, staticResolver(urls)),
});
logger.info({ url: running.url, internal: running.metricsUrl }, 'gateway listening');
stopOnSignals(running, logger, config.shutdownTimeoutSeconds * 1000);
