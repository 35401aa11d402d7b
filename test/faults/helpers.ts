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
