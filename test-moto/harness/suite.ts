import type { Tag } from '@aws-sdk/client-ec2';
import {
  type CompareOptions,
  compareScenario,
  differingSteps,
  type KnownDifference,
  type Observation,
  type Scenario,
  stepOf,
} from './compare';
import { type MotoServer, startMoto } from './moto';

/**
 * One moto server for the test file (started in beforeAll, stopped in afterAll) and reset before every case. Returns
 * the running server (call it inside a test).
 */
export function useMoto(): () => MotoServer {
  let server: MotoServer | undefined;
  beforeAll(async () => {
    server = await startMoto();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    await server?.reset();
  });
  return () => {
    if (!server) throw new Error('moto server is not running (useMoto() outside a test?)');
    return server;
  };
}

/**
 * Runs `scenario` on the twin and on moto and asserts that the traces differ in exactly the `known` steps (same
 * order as they first occur). A failure lists every unexpected or missing step with both observations. Returns the
 * traces so the test can assert the twin's answer on the differing steps.
 */
export async function expectOnlyKnownDifferences(
  moto: MotoServer,
  scenario: Scenario,
  known: KnownDifference[],
  options?: CompareOptions,
): Promise<{ twin: Observation[]; moto: Observation[] }> {
  for (const k of known) expect(k.awsDoc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  const traces = await compareScenario(scenario, moto.endpoint, options);
  const steps = differingSteps(traces.twin, traces.moto);
  expect(steps.map((step) => ({ step, twin: stepOf(traces.twin, step), moto: stepOf(traces.moto, step) }))).toEqual(
    known.map((k) => expect.objectContaining({ step: k.step })),
  );
  return traces;
}

/** EC2 tags as a key-sorted object (both sides list tags in their own order). */
export function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries(
    (tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''] as const).sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** A tag specification for a Create* call. */
export function tagSpec<T extends string>(resourceType: T, tags: Record<string, string>) {
  return [{ ResourceType: resourceType, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }];
}
