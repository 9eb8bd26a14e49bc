import { loadConfig } from '../../config/index.js';
import { configOrExit } from '../../platform/run.js';
import { stopOnSignals } from '../../platform/lifecycle.js';
import { registerWhileRunning } from '../../platform/component.js';
import { checkRegistryConfig, serviceResolverFor } from '../../platform/registry/discovery.js';
import { createLogger } from '../../platform/observability/logger.js';
import { requireClientCredentials } from './credentials.js';

const config = configOrExit(() => {
  const loaded = loadConfig('feeds');
  // Optional in config/ only so tests can inject tokens; a running feeds service needs them.
  requireClientCredentials(loaded);
  return loaded;
});
const registry = configOrExit(() => checkRegistryConfig(loadConfig('registry')));
// Imported after the configuration is valid, so a config error is the first thing printed.
const { startFeedsService } = await import('./app.js');
const logger = createLogger('feeds', config.logLevel);
// Users and tweets through the registry when CHIRP_REGISTRY_URL is set, else their URLs.
const resolver = serviceResolverFor(registry, {
  issuer: config.issuer,
  logger,
  staticUrls: { users: config.usersUrl, tweets: config.tweetsUrl },
});
const running = await registerWhileRunning(await startFeedsService(config, { logger, resolver }), {
  service: 'feeds',
  registry,
  issuer: config.issuer,
});
running.apps.logger.info({ url: running.url, metrics: running.metricsUrl }, 'feeds listening');
stopOnSignals(running, running.apps.logger, config.shutdownTimeoutSeconds * 1000);
