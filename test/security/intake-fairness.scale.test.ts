import { expectFloodWaitsBehindItself } from './intake-flood';

/** The intake flood of intake-fairness.test.ts at full size (scale tier): 48 VPCs against the default limit of 10. */
describe('Security: one tenant cannot starve or flood the others at intake (48 VPCs)', () => {
  it("connects another account's VPC within twice its solo time while one account floods 48 VPCs", async () => {
    await expectFloodWaitsBehindItself({ vpcsPerAccount: 16 });
  });
});
