import { writeHeapSnapshot } from 'node:v8';
const { runBulk: runFullTransitGateway } = require('/work/wt/twinidx/bench/bulk');
const { fullTransitGatewayWorld } = require('/work/wt/twinidx/bench/worlds');
const n = Number(process.argv[2] ?? 20);
runFullTransitGateway({
  bulk: fullTransitGatewayWorld({ accounts: n, vpcs: n * 10 }),
  seed: 7,
  hubOptions: { sdkTransport: 'direct', keepRecords: false },
  beforeClose: async () => {
    (global as any).gc?.();
    const m = process.memoryUsage();
    process.stderr.write(`heapUsed ${(m.heapUsed / 1e6).toFixed(0)} MB rss ${(m.rss / 1e6).toFixed(0)} external ${(m.external / 1e6).toFixed(0)} arrayBuffers ${(m.arrayBuffers/1e6).toFixed(0)}\n`);
    if (process.argv[3]) process.stderr.write(`snapshot ${writeHeapSnapshot(process.argv[3])}\n`);
  },
}).then((r: any) => process.stderr.write(`done ${r.connected} ${r.makespanSeconds} cpu ${r.cpuSeconds}\n`));
