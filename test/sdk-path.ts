import type { LocalHub } from '#local/hub';
import type { SimulationReport } from '#local/report';
import { IAM_PREFIX } from '#twin/iam';
import type { TwinTransport } from '#twin/plugin';

/**
 * How the twin answers the SDK clients of the local-hub suites that test the workflows, not the wire format
 * (`LocalHubOptions.sdkTransport`): `direct` hands the twin each command's input without serializing or signing it,
 * and keeps credentials, endpoints, retries, IAM, throttling, faults and the call log (twin/plugin.ts). The same
 * answers as the full SDK path, service by service (test/twin/direct-transport.test.ts). The suites that keep the full
 * path are listed in docs/testing.md ("Which SDK path a suite uses"); test/infra/permissions-coverage.test.ts checks
 * that every action the handlers are granted is called through the full path by one of them.
 */
export const SIMULATION_TRANSPORT: TwinTransport = 'direct';

/** The actions (`ec2:CreateTags`) of the AWS calls the hub's functions made on the twin. */
export function functionActions(hub: LocalHub): Set<string> {
  return new Set(hub.twin.calls.filter((c) => c.origin).map((c) => `${IAM_PREFIX[c.service]}:${c.operation}`));
}

/**
 * Asserts that the hub ran on the full SDK path and that its functions called each of `actions` (the full-path
 * suites that test/infra/permissions-coverage.test.ts names for the actions its own run does not call).
 */
export function expectCalledOnFullPath(hub: LocalHub, actions: readonly string[]): void {
  expect(hub.sdkTransport).toBe('sdk');
  const called = functionActions(hub);
  expect(actions.filter((action) => !called.has(action))).toEqual([]);
}

/**
 * Asserts that a `spokelink simulate` run (whose hub is on the full SDK path: the CLI leaves
 * `LocalHubOptions.sdkTransport` at its default, `sdk`) made each of `actions`, from its report's calls.
 */
export function expectReportedOnFullPath(report: SimulationReport, actions: readonly string[]): void {
  const called = new Set(
    report.awsCalls.byOperation.map((o) => `${IAM_PREFIX[o.service as keyof typeof IAM_PREFIX]}:${o.operation}`),
  );
  expect(actions.filter((action) => !called.has(action))).toEqual([]);
}
