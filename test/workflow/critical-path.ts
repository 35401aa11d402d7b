import { DEFAULT_EC2_SETTINGS, ec2State } from '#twin/services/ec2/model';
import type { TagChangeEvent, TwinEvent } from '#twin/types';
import {
  ACCOUNTS,
  exampleWorld,
  HUB_ACCOUNT,
  scenarioVpc,
  startWorkflowHub,
  TGW_ARN,
  type WorkflowHub,
  type WorkflowHubOptions,
  withVpcs,
} from './helpers';

/**
 * The critical path is the attachment: validation, lease, status, zones and consumer registration run before or beside
 * it, and what follows `available` (routes, record, status) is quick, but for the association, which `connected`
 * waits to see `associated`. Measured on the twin's clock (the
 * virtual clock): from the app team's tag event to the `connected` status write, minus the attachment's own
 * `pending` -> `available` time, for an account the TGW is already shared with (a first onboarding of an account also
 * waits for RAM to propagate the share: AWS's time, not spokelink's).
 *
 * WaitForAttachment polls every 3 s, so up to 3 s of the overhead is the phase of the poll against the moment the
 * attachment becomes available: each case sweeps that phase (pending times 90 s + 0..2.5 s; two phases in
 * critical-path.test.ts, the other four in critical-path.scale.test.ts).
 */

/**
 * Beyond the attachment: 5 s of spokelink's own, plus the TGW route table association's `associating` ->
 * `associated` (a stated twin timing) and about one poll of WaitForConnectivity, which `connected` waits for (the
 * association alone pending is polled every second: AssociationPendingError).
 */
const CONNECTIVITY_POLL_MS = 1_000;
const OVERHEAD_BUDGET_MS = 5_000 + DEFAULT_EC2_SETTINGS.associationMs + CONNECTIVITY_POLL_MS;
/** The poll phases swept: `npm test` takes some of them, the scale tier the rest (describeCriticalPath). */
export const PHASES_MS = [0, 500, 1_000, 1_500, 2_000, 2_500];
const vpcIdOf = (i: number) => scenarioVpc(90 + i, { ownerId: ACCOUNTS.payments, cidrs: ['10.0.0.0/16'] }).id!;

/** VPCs of an account the hub's TGW share has included for long; none has asked yet. */
function sharedAccountWorld() {
  const world = withVpcs(
    exampleWorld(),
    ...PHASES_MS.map((_, i) => scenarioVpc(90 + i, { ownerId: ACCOUNTS.payments, cidrs: [`10.${190 + i}.0.0/16`] })),
  );
  world.ram = {
    sharingWithOrganizationEnabled: true,
    shares: [{ name: 'spokelink-tgw', ownerId: HUB_ACCOUNT, resourceArns: [TGW_ARN], principals: [ACCOUNTS.payments] }],
  };
  return world;
}

const isTagEventOf = (vpcId: string) => (e: TwinEvent) =>
  e.source === 'aws.tag' && (e as TagChangeEvent).resources[0]?.endsWith(`/${vpcId}`) === true;
const detailOf = (e: TwinEvent) => (e as TagChangeEvent).detail;

/** Onboards `vpcId` with the attachment taking `pendingMs`; returns the times measured on the twin's clock. */
async function measure(w: WorkflowHub, vpcId: string, pendingMs: number) {
  w.twin.timings.attachmentPendingMs = pendingMs;
  const tagEvents = w.watchEvents(isTagEventOf(vpcId));
  const [execution] = await w.onboard(vpcId, { 'spokelink:connect': 'true' });
  expect(execution!.status).toBe('SUCCEEDED');
  const requestedAt = tagEvents.find((e) => detailOf(e.event)['changed-tag-keys'].includes('spokelink:connect'))!.at;
  const connectedAt = tagEvents.find((e) => detailOf(e.event).tags['spokelink:status'] === 'connected')!.at;
  const attachment = Object.values(ec2State(w.twin).attachments).find((a) => a.vpcId === vpcId)!;
  const pendingAt = attachment.timeline.find((t) => t.state === 'pending')!.at;
  const availableAt = attachment.timeline.find((t) => t.state === 'available')!.at;
  expect(availableAt - pendingAt).toBe(pendingMs);
  return {
    beforePending: pendingAt - requestedAt,
    afterAvailable: connectedAt - availableAt,
    overhead: connectedAt - requestedAt - (availableAt - pendingAt),
  };
}

/** The critical-path cases for some of PHASES_MS, under both timings. */
export function describeCriticalPath(phases: readonly number[]): void {
  const unknown = phases.filter((p) => !PHASES_MS.includes(p));
  if (unknown.length > 0) throw new Error(`phases ${unknown.join(', ')} are not in PHASES_MS (no VPC for them)`);
  describe.each<[string, WorkflowHubOptions]>([
    ["on the twin's default timings (no call latency)", {}],
    // Assumed: an AWS API call takes 50 ms, a Lambda invocation 25 ms of its own besides its calls.
    [
      'with 50 ms per AWS call and 25 ms per Lambda invocation',
      { twinOptions: { latencyMs: 50 }, lambdaOptions: { durationMs: 25 } },
    ],
  ])('Critical path %s: tag to connected is the attachment and its association plus under 5 s', (_, options) => {
    let w: WorkflowHub;
    beforeAll(async () => {
      w = await startWorkflowHub({ world: sharedAccountWorld(), ...options });
    });
    afterAll(() => w?.close());

    it.each(phases.map((phase) => ({ phase, i: PHASES_MS.indexOf(phase) })))(
      'adds under 5 s to an attachment pending for 90 s + $phase ms and its association',
      async ({ phase, i }) => {
        const times = await measure(w, vpcIdOf(i), 90_000 + phase);
        expect(times.overhead).toBeLessThan(OVERHEAD_BUDGET_MS);
        // The share was in place: no RAM propagation wait before the attachment.
        expect(w.twin.calls.filter((c) => c.error === 'InvalidTransitGatewayID.NotFound')).toEqual([]);
      },
    );
  });
}
