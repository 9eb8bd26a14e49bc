import { loadConfig } from '../../config/index.js';
import { configOrExit } from '../../platform/run.js';
import { stopOnSignals } from '../../platform/lifecycle.js';

const config = configOrExit(() => loadConfig('users'));
// Imported after the configuration is valid, so a config error is the first thing printed.
const { startUsersService } = await import('./app.js');
const running = await startUsersService(config);
running.apps.logger.info({ url: running.url, metrics: running.metricsUrl }, 'users listening');
stopOnSignals(running, running.apps.logger, config.shutdownTimeoutSeconds * 1000);
