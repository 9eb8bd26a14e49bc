import { loadConfig } from '../config/index.js';
import { configOrExit } from '../platform/run.js';
import { stopOnSignals } from '../platform/lifecycle.js';

const config = configOrExit(() => loadConfig('auth'));
// Imported after the configuration is valid, so a config error is the first thing printed
// (oidc-provider warns about the runtime as soon as it loads).
const { startAuthServer } = await import('./app.js');
const running = await startAuthServer(config);
running.apps.logger.info(
  { url: running.url, issuer: config.issuer, metrics: running.metricsUrl },
  'auth-server listening',
);
stopOnSignals(running, running.apps.logger, config.shutdownTimeoutSeconds * 1000);
