import { loadConfig } from '../config/index.js';
import { configOrExit } from '../platform/run.js';
import { stopOnSignals } from '../platform/lifecycle.js';
import { startAuthServer } from './app.js';

const config = configOrExit(() => loadConfig('auth'));
const running = await startAuthServer(config);
running.server.logger.info(
  { url: running.url, issuer: config.issuer, metrics: running.metricsUrl },
  'auth-server listening',
);
stopOnSignals(running, running.server.logger, config.shutdownTimeoutSeconds * 1000);
