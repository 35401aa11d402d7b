import { type BulkResult, runBulk } from '../../bench/bulk';
import { bulkWorld } from '../../bench/worlds';

/*
 * Scale tier: a whole migration day on the full SDK path and on the direct transport, every figure compared (the
 * default tier, direct-transport.test.ts, compares the calls of every twin service one by one).
 */
describe('a migration day on the direct transport', () => {
  const figures = (r: BulkResult) => {
    const { wallSeconds: _w, cpuSeconds: _c, cpuSecondsPerVpc: _p, ...rest } = r;
    return rest;
  };

  it('gives the same figures as on the full SDK path', async () => {
    const day = bulkWorld({ accounts: 1, vpcsPerAccount: 3 });
    const sdk = figures(await runBulk({ bulk: day, seed: 5, hubOptions: { sdkTransport: 'sdk' } }));
    const direct = figures(await runBulk({ bulk: day, seed: 5, hubOptions: { sdkTransport: 'direct' } }));
    expect(direct).toEqual(sdk);
    expect(sdk.connected).toBe(3);
  });
});
