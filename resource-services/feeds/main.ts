import { loadConfig } from '../../config/index.js';
import { configOrExit } from '../../platform/run.js';
import { stopOnSignals } from '../../platform/lifecycle.js';
import { requireClientCredentials } from './credentials.js';

const config = configOrExit(() => {
  const loaded = loadConfig('feeds');
  // Optional in config/ only so tests can inject tokens; a running feeds service needs them.
  requireClientCredentials(loaded);
  return loaded;
});
// Imported after the configuration is valid, so a config error is the first thing printed.
const { startFeedsService } = await import('./app.js');
const running = await startFeedsService(config);
running.apps.logger.info({ url: running.url, metrics: running.metricsUrl }, 'feeds listening');
stopOnSignals(running, running.apps.logger, config.shutdownTimeoutSeconds * 1000);
