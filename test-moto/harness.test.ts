import { DuplicateStepError, differingSteps, normalize, Tracer } from './harness/compare';

describe('moto tier harness', () => {
  it('numbers generated ids by first appearance, so two runs with different ids compare equal', () => {
    const twin = normalize([
      { step: 'a', result: { VpcId: 'vpc-0123456789abcdef0', SubnetIds: ['subnet-0aaaaaaaaaaaaaaaa'] } },
      { step: 'b', result: ['vpc-0123456789abcdef0', 'tgw-attach-0bbbbbbbbbbbbbbbb', 'tgw-rtb-0cccccccccccccccc'] },
    ]);
    const moto = normalize([
      { step: 'a', result: { VpcId: 'vpc-1a2b3c4d', SubnetIds: ['subnet-9f8e7d6c'] } },
      { step: 'b', result: ['vpc-1a2b3c4d', 'tgw-attach-12345678', 'tgw-rtb-87654321'] },
    ]);
    expect(twin).toEqual(moto);
    expect(twin[1]?.result).toEqual(['vpc-#1', 'tgw-attach-#1', 'tgw-rtb-#1']);
  });

  it('recognises Route 53 ids of any shape where they appear, bare or prefixed', () => {
    const twin = normalize([
      { step: 'create', result: { Id: '/hostedzone/Z0ABCDEF0123456789AB', Change: '/change/C0ABCDEF0123456789AB' } },
      { step: 'list', result: [{ HostedZoneId: 'Z0ABCDEF0123456789AB' }] },
    ]);
    const moto = normalize([
      { step: 'create', result: { Id: '/hostedzone/NG1587XGA74MVRX2X36FFW', Change: '/change/C1PA6795UKMFR9' } },
      { step: 'list', result: [{ HostedZoneId: 'NG1587XGA74MVRX2X36FFW' }] },
    ]);
    expect(twin).toEqual(moto);
    expect(twin[1]?.result).toEqual([{ HostedZoneId: 'Z-#1' }]);
  });

  it('lists the steps whose observations differ, in order', () => {
    expect(
      differingSteps(
        [
          { step: 'a', result: 1 },
          { step: 'b', error: 'X' },
          { step: 'c', result: 3 },
        ],
        [
          { step: 'a', result: 1 },
          { step: 'b', result: 'ok' },
          { step: 'd', result: 4 },
        ],
      ),
    ).toEqual(['b', 'c', 'd']);
  });

  it('refuses a step name used twice in one scenario', async () => {
    const trace = new Tracer();
    await trace.step('once', async () => 1);
    await expect(trace.step('once', async () => 2)).rejects.toBeInstanceOf(DuplicateStepError);
  });

  it('records an error by the name the SDK gives it', async () => {
    const trace = new Tracer();
    class InvalidVpcIdNotFound extends Error {
      override name = 'InvalidVpcID.NotFound';
    }
    await trace.step('fails', async () => {
      throw new InvalidVpcIdNotFound('no');
    });
    expect(trace.observations).toEqual([{ step: 'fails', error: 'InvalidVpcID.NotFound' }]);
  });
});
