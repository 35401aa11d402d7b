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

export type Workflow = 'onboard' | 'offboard';

/**
 * The fault-free run of each workflow for each fault VPC, made once per file in `beforeAll`: what every faulted run
 * must converge to. Returns the reader.
 */
export function faultFreeReferences(): (workflow: Workflow, vpcId: string) => FaultRunResult {
  const references = new Map<string, FaultRunResult>();
  beforeAll(async () => {
    for (const workflow of ['onboard', 'offboard'] as const) {
      for (const vpcId of FAULT_VPCS) references.set(`${workflow} ${vpcId}`, await faultFree(vpcId, workflow));
    }
  });
  return (workflow, vpcId) => references.get(`${workflow} ${vpcId}`)!;
}

/** Seeded runs of each property: a few in `npm test`, many in the scale tier (`npm run bench` runs more still). */
export interface PropertyRuns {
  onboard: number;
  offboard: number;
  offboardAfterFaultedOnboard: number;
}

/**
 * The fault-schedule properties: whatever the schedule, the workflow converges to the fault-free state; offboarding
 * after a faulted onboarding leaves nothing. The seeds are fixed, so a smaller run count is a prefix of a larger one.
 */
export function describeFaultProperties(
  runs: PropertyRuns,
  reference: (workflow: Workflow, vpcId: string) => FaultRunResult,
): void {
  describe.each([['onboard'], ['offboard']] as const)('Faults: %s', (workflow) => {
    it(`converges to the fault-free state under any fault schedule (property, ${runs[workflow]} seeded runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(faultScenarios(workflow === 'onboard' ? 90 : 60, workflow), async (scenario) => {
          const outcome = await runFaultScenario(scenario);
          const problems = convergenceProblems(outcome, reference(workflow, scenario.vpcId));
          expect({ scenario, problems }).toEqual({ scenario, problems: [] });
        }),
        { numRuns: runs[workflow], seed: workflow === 'onboard' ? 20261127 : 20261128, endOnFailure: true },
      );
    });
  });

  describe('Faults: offboarding after a faulted onboarding leaves nothing', () => {
    it(`leaves nothing whatever the fault schedule of the onboarding (property, ${runs.offboardAfterFaultedOnboard} seeded runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(faultScenarios(90, 'onboard'), async (schedule) => {
          const scenario: FaultScenario = { ...schedule, thenOffboard: true };
          const outcome = await runFaultScenario(scenario);
          const problems = offboardingProblems(outcome, reference('offboard', scenario.vpcId));
          expect({ scenario, problems }).toEqual({ scenario, problems: [] });
        }),
        { numRuns: runs.offboardAfterFaultedOnboard, seed: 20261129, endOnFailure: true },
      );
    });
  });
}

/** A mutating call whose every response is lost after it took effect, in one workflow (and for one fault VPC). */
export type LostResponseCase = readonly [workflow: Workflow, operation: string, vpcId?: string];

/**
 * Every mutating call of the two workflows, its every response lost after it took effect. `npm test` runs
 * `LOST_RESPONSES_DEFAULT_TIER` (one call of each kind of resource: attachment, zone association, security group
 * rule, share, and the attachment's and a rule's removal); the scale tier runs them all (onboarding-faults.scale.test.ts).
 */
export const LOST_RESPONSES: readonly LostResponseCase[] = [
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
];

const DEFAULT_TIER_OPERATIONS = new Set([
  'onboard CreateTransitGatewayVpcAttachment',
  'onboard AssociateVPCWithHostedZone',
  'onboard AuthorizeSecurityGroupIngress',
  'onboard AssociateResourceShare',
  'offboard RevokeSecurityGroupIngress',
  'offboard DeleteTransitGatewayVpcAttachment',
]);

export const LOST_RESPONSES_DEFAULT_TIER = LOST_RESPONSES.filter(([workflow, operation]) =>
  DEFAULT_TIER_OPERATIONS.has(`${workflow} ${operation}`),
);

/** Each case: the workflow survives (no duplicate, nothing left behind), converging to the fault-free state. */
export function describeLostResponses(
  cases: readonly LostResponseCase[],
  reference: (workflow: Workflow, vpcId: string) => FaultRunResult,
): void {
  describe('Faults: every response of a mutating call lost after it took effect', () => {
    it.each(cases.map(([workflow, operation, vpcId = FAULT_VPCS[0]]) => ({ workflow, operation, vpcId })))(
      '$workflow survives every $operation response lost (no duplicate, nothing left behind)',
      async ({ workflow, operation, vpcId }) => {
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
    );
  });
}
