/**
 * Child process for durability.test.ts: an EventBridge on the data folder given as argv[2],
 * with one rule whose Lambda target never answers, so every accepted event stays pending
 * until the parent kills this process.
 */
import { LocalEventBridge, startEventBridgeEndpoint } from '../../../local/eventbridge';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: durability-child.ts DATA_DIR');
  const engine = new LocalEventBridge({ region: 'us-east-1', dataDir, invoke: () => new Promise(() => undefined) });
  const accountId = '111111111111';
  if (!engine.findEventBus('certflow', accountId)) engine.createEventBus({ name: 'certflow' }, accountId);
  engine.putRule(
    { name: 'proposals', eventBusName: 'certflow', eventPattern: JSON.stringify({ source: ['certflow.transfer'] }) },
    accountId,
  );
  engine.putTargets('proposals', 'certflow', accountId, [
    { id: 'receiver', arn: 'arn:aws:lambda:us-east-1:111111111111:function:receiver' },
  ]);
  engine.start();
  const endpoint = await startEventBridgeEndpoint(engine);
  process.stdout.write(`${JSON.stringify({ url: endpoint.url })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
