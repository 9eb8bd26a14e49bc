import { loadConfig } from '../../config/index.js';
import { configOrExit } from '../../platform/run.js';
import { stopOnSignals } from '../../platform/lifecycle.js';
import { registerWhileRunning } from '../../platform/component.js';
import { checkRegistryConfig } from '../../platform/registry/discovery.js';

const config = configOrExit(() => loadConfig('tweets'));
const registry = configOrExit(() => checkRegistryConfig(loadConfig('registry')));
// Imported after the configuration is valid, so a config error is the first thing printed.
const { startTweetsService } = await import('./app.js');
const running = await registerWhileRunning(await startTweetsService(config), {
  service: 'tweets',
  registry,
  issuer: config.issuer,
});
running.apps.logger.info(
  { url: running.url, metrics: running.metricsUrl, workerId: running.apps.workerId },
  'tweets listening',
);
stopOnSignals(running, running.apps.logger, config.shutdownTimeoutSeconds * 1000);
