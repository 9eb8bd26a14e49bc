import { loadConfig } from '../../config/index.js';
import { configOrExit } from '../../platform/run.js';
import { stopOnSignals } from '../../platform/lifecycle.js';

const config = configOrExit(() => loadConfig('tweets'));
// Imported after the configuration is valid, so a config error is the first thing printed.
const { startTweetsService } = await import('./app.js');
const running = await startTweetsService(config);
running.apps.logger.info(
  { url: running.url, metrics: running.metricsUrl, workerId: running.apps.workerId },
  'tweets listening',
);
stopOnSignals(running, running.apps.logger, config.shutdownTimeoutSeconds * 1000);
