import { compareReductionSample } from './iam-reduction-sample';

/*
 * Scale tier: the whole sample of iam-reduction.test.ts, every generated policy (the default tier takes every 30th):
 * about 8,000 requests decided on the whole policies and on the statements that can apply to their action, every
 * answer compared.
 */
describe('statementsForAction: the reduced policies decide every request as the whole ones (every generated policy)', () => {
  it('every action of the generated policies, as identity and session policies and trust policies', async () => {
    const { compared } = await compareReductionSample(1);
    expect(compared).toBeGreaterThan(2_000);
  });
});
