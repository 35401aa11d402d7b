import { LocalDynamo } from '#local/dynamo';
import { type BulkResult, runBulk } from '../../bench/bulk';
import { bulkWorld } from '../../bench/worlds';

/*
 * Scale tier: a whole migration day with the registry on the SDK path and on the direct path, every figure compared
 * (the default tier, dynamo-direct.test.ts, compares every kind of registry request one by one).
 */
describe('a migration day with the registry on the direct path', () => {
  const figures = (r: BulkResult) => {
    const { wallSeconds: _w, cpuSeconds: _c, cpuSecondsPerVpc: _p, ...rest } = r;
    return rest;
  };

  afterEach(() => jest.restoreAllMocks());

  it('gives the same figures as with the registry on the SDK path, and sends no registry request over HTTP', async () => {
    const day = bulkWorld({ accounts: 1, vpcsPerAccount: 3 });
    const handle = jest.spyOn(LocalDynamo.prototype, 'handle');
    const sdk = figures(await runBulk({ bulk: day, seed: 3, hubOptions: { sdkTransport: 'sdk' } }));
    const overHttp = handle.mock.calls.length;
    const direct = figures(await runBulk({ bulk: day, seed: 3, hubOptions: { sdkTransport: 'direct' } }));
    expect(direct).toEqual(sdk);
    expect(sdk.connected).toBe(3);
    // On the SDK path every registry request goes to dynalite's HTTP handler; on the direct path none does.
    expect(overHttp).toBeGreaterThan(50);
    expect(handle.mock.calls.length).toBe(overHttp);
  });
});
