import { ec2State } from '#twin/services/ec2/model';
import type { TagChangeEvent, TwinEvent } from '#twin/types';
import { ACCOUNTS, NONPROD_TABLE, SHARED_TABLE, startWorkflowHub, TGW, type WorkflowHub } from './helpers';

/**
 * `connected` means a packet can flow and names resolve: when the status says so, the attachment's association is
 * `associated` (not `associating`), its static return routes active in the hub's table, the spoke routes
 * `active`, and the zone association changes `INSYNC`. Measured on the twin, which models each of these transitions
 * with its own timing (docs/twin-ec2.md, docs/twin-route53-ram.md).
 */

const ANALYTICS = 'vpc-0b300000000000001';

describe('connected: every AWS change in effect when the status says so', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    w = await startWorkflowHub();
  });
  afterAll(() => w?.close());

  it('writes connected only after the association, the hub return routes, the spoke routes and DNS are in effect', async () => {
    const statuses = w.watchEvents(
      (e: TwinEvent) =>
        e.source === 'aws.tag' &&
        (e as TagChangeEvent).resources[0]?.endsWith(`/${ANALYTICS}`) === true &&
        (e as TagChangeEvent).detail.tags['spokelink:status'] === 'connected',
    );
    const [execution] = await w.onboard(ANALYTICS);
    expect(execution!.status).toBe('SUCCEEDED');
    const connectedAt = statuses[0]!.at;

    const s = ec2State(w.twin);
    const attachment = Object.values(s.attachments).find((a) => a.vpcId === ANALYTICS && a.transitGatewayId === TGW)!;
    const availableAt = attachment.timeline.find((t) => t.state === 'available')!.at;
    const link = (table: string, kind: 'associations' | 'propagations') =>
      s.tgwRouteTables[table]![kind].find((l) => l.attachmentId === attachment.id)!;
    // A link is in effect from its readyAt, and only once the attachment is available (spoke routes likewise).
    expect(Math.max(availableAt, link(NONPROD_TABLE, 'associations').readyAt)).toBeLessThanOrEqual(connectedAt);
    // The hub routes back to the VPC by static routes for its claimed CIDRs (never propagation): active once created
    // and the attachment is available.
    const shared = s.tgwRouteTables[SHARED_TABLE]!;
    expect(shared.propagations.filter((l) => l.attachmentId === attachment.id)).toEqual([]);
    const returns = shared.staticRoutes.filter((r) => r.attachmentId === attachment.id);
    expect(returns.length).toBeGreaterThan(0);
    for (const route of returns) expect(Math.max(availableAt, route.createdAt)).toBeLessThanOrEqual(connectedAt);
    // Each zone association change is INSYNC route53ChangeMs after the spoke's association.
    const associations = w.twin.calls.filter(
      (c) => c.operation === 'AssociateVPCWithHostedZone' && c.accountId === ACCOUNTS.analytics && !c.error,
    );
    expect(associations.length).toBeGreaterThan(0);
    for (const call of associations) {
      expect(call.at + w.twin.timings.route53ChangeMs).toBeLessThanOrEqual(connectedAt);
    }
    // The wait asked Route 53 about each change it made, by the spoke that made it.
    const asked = w.twin.calls.filter((c) => c.operation === 'GetChange' && c.accountId === ACCOUNTS.analytics);
    expect(asked.length).toBeGreaterThanOrEqual(associations.length);
  });
});
