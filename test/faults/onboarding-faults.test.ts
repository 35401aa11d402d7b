import { FAULT_VPCS, type FaultScenario, offboardingProblems, runFaultScenario } from '../../bench/faults';
import {
  describeFaultProperties,
  describeLostResponses,
  faultFreeReferences,
  LOST_RESPONSES_DEFAULT_TIER,
} from './helpers';

/**
 * Onboarding and offboarding under injected faults, property-based: whatever the fault schedule (which AWS call or
 * Lambda invocation, which fault: throttling, 5xx, a lost response after the call took effect, a Lambda that dies
 * after its AWS calls, a slow call; with or without eventual consistency), the workflow ends in the fault-free state,
 * or ends `failed` with a status naming the step and converges to the fault-free state when the app team asks again.
 * Never a duplicate attachment, an orphan security group rule, a lost registry record or an unhandled Lambda crash.
 * The properties run a few seeded schedules here, more in the scale tier (onboarding-faults.scale.test.ts), more still
 * in `npm run bench`; the lost responses of one mutating call of each kind here, of every one in the scale tier.
 */

const reference = faultFreeReferences();

describe.each([
  ['onboard', 'connected'],
  ['offboard', 'disconnected'],
] as const)('Faults: %s', (workflow, status) => {
  it(`ends the fault-free run ${status}, with no violation (the reference)`, () => {
    for (const vpcId of FAULT_VPCS) {
      const ref = reference(workflow, vpcId);
      expect({ vpcId, status: ref.status }).toEqual({ vpcId, status });
      expect(ref.invariants).toEqual({ duplicates: [], lost: [], orphans: [] });
      expect(ref.crashes).toEqual([]);
    }
  });
});

// A few seeded schedules of each property here (the first of the same seeds); the 25, 25 and 15 runs in
// onboarding-faults.scale.test.ts.
describeFaultProperties({ onboard: 2, offboard: 2, offboardAfterFaultedOnboard: 1 }, reference);

// One mutating call of each kind here; every one of the two workflows' in onboarding-faults.scale.test.ts.
describeLostResponses(LOST_RESPONSES_DEFAULT_TIER, reference);

describe('Faults: offboarding after a faulted onboarding leaves nothing', () => {
  it.each([
    // The principal is added, every response lost; the step's retries then fail on the permissions describe.
    ['ModifyVpcEndpointServicePermissions', 'DescribeVpcEndpointServicePermissions', 2],
    // The rule is added, every response lost (the SDK's retries meet InvalidPermission.Duplicate); its describe fails.
    ['AuthorizeSecurityGroupIngress', 'DescribeSecurityGroupRules', 1],
  ] as const)(
    'removes what %s made though every response was lost and the onboarding failed',
    async (operation, failing, failingFrom) => {
      const vpcId = FAULT_VPCS[0];
      const scenario: FaultScenario = {
        vpcId,
        faults: [
          { kind: 'lost-response', at: 1, operation, repeat: true },
          { kind: 'server-error', at: failingFrom, operation: failing, repeat: true },
        ],
        consistencyLagMs: 0,
        thenOffboard: true,
      };

      const outcome = await runFaultScenario(scenario);

      expect(outcome.first.injected).toBe(2);
      expect(outcome.first.detail).toMatch(/^RegisterConsumer: /);
      expect(offboardingProblems(outcome, reference('offboard', vpcId))).toEqual([]);
    },
    30_000,
  );
});
