/**
 * Runs the IoT endpoint in a process of its own on a data folder (argv[2]), for tests
 * that kill it. Prints {"url": ...} once listening; exits when its stdin closes, so it
 * never outlives the test that started it.
 */
import { startIotEndpoint } from '../../../local/iot/iot-endpoint';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: iot-endpoint-process.ts <dataDir>');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 120_000).unref();
void startIotEndpoint({ dataDir, keyAlgorithm: 'EC-P256', quotas: false }).then((endpoint) => {
  process.stdout.write(`${JSON.stringify({ url: endpoint.url })}\n`);
});
