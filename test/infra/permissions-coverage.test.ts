import { Template } from 'aws-cdk-lib/assertions';
import type { LocalHub } from '#local/hub';
import { type SpokeAccess, spokeRoleName } from '#shared/config';
import { IAM_PREFIX } from '#twin/iam';
import { localApprover, localTransport } from '../../cli/commands/approve';
import {
  ANALYTICS,
  advance,
  deleteVpcAsAppTeam,
  LEDGER,
  lifecycleConfig,
  lifecycleHub,
  PAYMENTS,
  runReconcile,
  SCRATCH,
  settle,
  statusOf,
} from '../lifecycle/helpers';
import { actionsOfRole, newHubStack, newSpokeStack } from './helpers';

/**
 * The permissions the CDK app grants (infra/permissions.ts, synthesized) against the AWS calls the real handlers make
 * on the twin over a VPC's whole life: onboarding, a change of services, an approval, offboarding by untagging and
 * by deleting the VPC, and a reconcile. Every call a function makes with its own role must be an action of that
 * role; every call it makes through the spoke role must be an action of the spoke role. A permission missing from
 * the manifest fails here rather than as AccessDenied in a deployed hub.
 */

async function wholeLife(hub: LocalHub): Promise<void> {
  const connect = async (vpcId: string, tags: Record<string, string>) => {
    await hub.tagVpc(vpcId, tags);
    await settle(hub);
  };
  await connect(PAYMENTS, { 'spokelink:connect': 'true' });
  await connect(LEDGER, { 'spokelink:connect': 'true' });
  await connect(SCRATCH, { 'spokelink:connect': 'true' });
  await connect(PAYMENTS, { 'spokelink:services': 'ssm' });
  // The restricted segment needs an approval, given as `spokelink approve` gives it.
  await connect(ANALYTICS, { 'spokelink:connect': 'true', 'spokelink:segment': 'restricted' });
  await localTransport(hub, localApprover(hub))({ vpcId: ANALYTICS, decision: 'approve', reason: 'coverage' });
  await settle(hub);
  await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:services']);
  await settle(hub);
  await deleteVpcAsAppTeam(hub, SCRATCH);
  await settle(hub);
  await advance(hub, 5 * 60_000);
  await runReconcile(hub);
}

describe('Permissions: what the handlers call is what the roles allow', () => {
  let hub: LocalHub;
  afterAll(() => hub?.close());

  it('grants every action each function uses, with its own role or through the spoke role', async () => {
    const config = lifecycleConfig();
    hub = await lifecycleHub({ config });
    await wholeLife(hub);
    expect([statusOf(hub, ANALYTICS).status, statusOf(hub, LEDGER).status]).toEqual(['connected', 'connected']);
    expect(statusOf(hub, PAYMENTS).status).toBe('disconnected');

    const hubTemplate = Template.fromStack(newHubStack({ config }));
    const spokeTemplate = Template.fromStack(newSpokeStack(config));
    const spokeActions = {
      write: new Set(actionsOfRole(spokeTemplate, spokeRoleName(config, 'write'))),
      read: new Set(actionsOfRole(spokeTemplate, spokeRoleName(config, 'read'))),
    };
    const spokeSession = (access: SpokeAccess) => `:assumed-role/${spokeRoleName(config, access)}/`;

    type Through = 'own role' | 'spoke role' | 'spoke read role';
    const used = new Map<string, { action: string; through: Through }>();
    for (const call of hub.twin.calls) {
      if (!call.origin) continue;
      const action = `${IAM_PREFIX[call.service]}:${call.operation}`;
      const through: Through = call.principal.includes(spokeSession('write'))
        ? 'spoke role'
        : call.principal.includes(spokeSession('read'))
          ? 'spoke read role'
          : 'own role';
      used.set(`${call.origin} ${action} ${through}`, { action, through });
    }
    const missing = [...used].flatMap(([key, { action, through }]) => {
      const fn = key.split(' ')[0]!;
      const allowed =
        through === 'spoke role'
          ? spokeActions.write
          : through === 'spoke read role'
            ? spokeActions.read
            : new Set(actionsOfRole(hubTemplate, `${config.prefix}-fn-${fn}`));
      return allowed.has(action) ? [] : [`${fn}: ${action} (${through})`];
    });
    expect(missing).toEqual([]);

    // Not vacuous: the run exercised the functions that call AWS, in both accounts.
    const origins = new Set([...used.keys()].map((k) => k.split(' ')[0]));
    expect([...origins].sort()).toEqual(
      expect.arrayContaining([
        'consumer',
        'intake',
        'rollback',
        'reconcile',
        'routes',
        'status',
        'transit-gateway',
        'validate',
        'zones',
      ]),
    );
    expect([...used.values()].filter((u) => u.through !== 'own role').length).toBeGreaterThan(10);
    expect([...used.values()].filter((u) => u.through === 'spoke read role').length).toBeGreaterThan(3);
    expect(used.size).toBeGreaterThan(40);
  });
});
