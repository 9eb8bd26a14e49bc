import { loadConfig } from '../config/index.js';
import { configOrExit } from '../platform/run.js';
import { stopOnSignals } from '../platform/lifecycle.js';
import { checkRegistryConfig, serviceResolverFor } from '../platform/registry/discovery.js';
import { withFallback } from '../platform/registry/fallback-resolver.js';
import { staticResolver } from '../platform/registry/resolver.js';

const config = configOrExit(() => loadConfig('auth'));
const registry = configOrExit(() => checkRegistryConfig(loadConfig('registry')));
// Imported after the configuration is valid, so a config error is the first thing printed
// (oidc-provider warns about the runtime as soon as it loads).
const { startAuthServer } = await import('./app.js');
const { createLogger } = await import('../platform/observability/logger.js');
const logger = createLogger('auth-server', config.logLevel);
// The users service through the registry when one is configured, its configured URL otherwise
// (and while no instance has registered yet).
const staticUsers = staticResolver({ users: config.usersUrl });
const resolver = withFallback(
  serviceResolverFor(registry, {
    issuer: config.issuer,
    logger,
    staticUrls: { users: config.usersUrl },
  }),
  staticUsers,
);
const running = await startAuthServer(config, { logger, resolver });
running.apps.logger.info(
  { url: running.url, issuer: config.issuer, metrics: running.metricsUrl },
  'auth-server listening',
);
stopOnSignals(running, running.apps.logger, config.shutdownTimeoutSeconds * 1000);
