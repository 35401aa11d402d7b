import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { compareScenario, MOTO_ACCOUNT } from './harness/compare';
import { type MotoServer, startMoto } from './harness/moto';

let moto: MotoServer;

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
});

describe('Twin vs moto: STS', () => {
  it('reports the calling account the same way', async () => {
    const { twin, moto: motoTrace } = await compareScenario(async ({ sts }, trace) => {
      await trace.step(
        'GetCallerIdentity',
        () => sts.send(new GetCallerIdentityCommand({})),
        (o) => o.Account,
      );
    }, moto.endpoint);
    expect(twin).toEqual(motoTrace);
    expect(twin).toEqual([{ step: 'GetCallerIdentity', result: MOTO_ACCOUNT }]);
  });
});
