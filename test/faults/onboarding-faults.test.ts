import fc from 'fast-check';
import {
  convergenceProblems,
  FAULT_VPCS,
  type FaultRunResult,
  type FaultScenario,
  faultFree,
  faultScenarios,
  offboardingProblems,
  runFaultScenario,
} from '../../bench/faults';

/**
 * Onboarding and offboarding under injected faults, property-based: whatever the fault schedule (which AWS call or
 * Lambda invocation, which fault: throttling, 5xx, a lost response after the call took effect, a Lambda that dies
 * after its AWS calls, a slow call; with or without eventual consistency), the workflow ends in the fault-free state,
 * or ends `failed` with a status naming the step and converges to the fault-free state when the app team asks again.
 * Never a duplicate attachment, an orphan security group rule, a lost registry record or an unhandled Lambda crash.
 * `npm run bench` runs the same properties with more runs.
 */

type Workflow = 'onboard' | 'offboard';
const references = new Map<string, FaultRunResult>();
const reference = (workflow: Workflow, vpcId: string) => references.get(`${workflow} ${vpcId}`)!;

beforeAll(async () => {
  for (const workflow of ['onboard', 'offboard'] as const) {
    for (const vpcId of FAULT_VPCS) references.set(`${workflow} ${vpcId}`, await faultFree(vpcId, workflow));
  }
});

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

  it('converges to the fault-free state under any fault schedule (property, 25 seeded runs)', async () => {
    await fc.assert(
      fc.asyncProperty(faultScenarios(workflow === 'onboard' ? 90 : 60, workflow), async (scenario) => {
        const outcome = await runFaultScenario(scenario);
        const problems = convergenceProblems(outcome, reference(workflow, scenario.vpcId));
        expect({ scenario, problems }).toEqual({ scenario, problems: [] });
      }),
      { numRuns: 25, seed: workflow === 'onboard' ? 20261127 : 20261128, endOnFailure: true },
    );
  });
});

describe('Faults: every response of a mutating call lost after it took effect', () => {
  it.each([
    ['onboard', 'CreateTransitGatewayVpcAttachment'],
    ['onboard', 'AcceptTransitGatewayVpcAttachment'],
    ['onboard', 'AssociateTransitGatewayRouteTable'],
    ['onboard', 'CreateTransitGatewayRoute'],
    ['onboard', 'CreateRoute'],
    ['onboard', 'AssociateVPCWithHostedZone'],
    ['onboard', 'CreateVPCAssociationAuthorization'],
    ['onboard', 'DeleteVPCAssociationAuthorization'],
    ['onboard', 'AuthorizeSecurityGroupIngress'],
    ['onboard', 'ModifyVpcEndpointServicePermissions'],
    // The partner outside the organization: its account gets the TGW through a share of its own.
    ['onboard', 'AssociateResourceShare', FAULT_VPCS[1]],
    ['onboard', 'CreateTags'],
    ['offboard', 'DeleteRoute'],
    ['offboard', 'DisassociateVPCFromHostedZone'],
    ['offboard', 'RevokeSecurityGroupIngress'],
    ['offboard', 'ModifyVpcEndpointServicePermissions'],
    ['offboard', 'DeleteTransitGatewayRoute'],
    ['offboard', 'DeleteTransitGatewayVpcAttachment'],
    ['offboard', 'CreateTags'],
  ] as const)(
    '%s survives every %s response lost (no duplicate, nothing left behind)',
    async (workflow, operation, vpcId: string = FAULT_VPCS[0]) => {
      const scenario: FaultScenario = {
        workflow,
        vpcId,
        faults: [{ kind: 'lost-response', at: 1, operation, repeat: true }],
        consistencyLagMs: 0,
      };
      const outcome = await runFaultScenario(scenario);
      expect(outcome.first.injected).toBe(1);
      expect(convergenceProblems(outcome, reference(workflow, vpcId))).toEqual([]);
    },
    30_000,
  );
});

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

  it('leaves nothing whatever the fault schedule of the onboarding (property, 15 seeded runs)', async () => {
    await fc.assert(
      fc.asyncProperty(faultScenarios(90, 'onboard'), async (schedule) => {
        const scenario: FaultScenario = { ...schedule, thenOffboard: true };
        const outcome = await runFaultScenario(scenario);
        const problems = offboardingProblems(outcome, reference('offboard', scenario.vpcId));
        expect({ scenario, problems }).toEqual({ scenario, problems: [] });
      }),
      { numRuns: 15, seed: 20261129, endOnFailure: true },
    );
  });
});
