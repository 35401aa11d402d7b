import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { functionActions } from '../sdk-path';
import { actionsOfRole, newHubStack, newSpokeStack } from './helpers';

/**
 * The permissions the CDK app grants (infra/permissions.ts, synthesized) against the AWS calls the real handlers make
 * on the twin over a VPC's whole life: onboarding, a change of services, an approval, offboarding by untagging and
 * by deleting the VPC, and a reconcile. Every call a function makes with its own role must be an action of that
 * role; every call it makes through the spoke role must be an action of the spoke role. A permission missing from
 * the manifest fails here rather than as AccessDenied in a deployed hub.
 *
 * This suite runs on the full SDK path (`sdkTransport: 'sdk'`: every command serialized, signed and parsed by the
 * twin as AWS's wire format), while most local-hub suites use the direct transport (test/sdk-path.ts). The last test
 * here is what keeps that honest: every AWS action the generated policies grant to a function or a spoke role, which
 * is every operation the handlers call, is called through the full path here or in a named full-path suite.
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
    hub = await lifecycleHub({ config, sdkTransport: 'sdk' });
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

  it('calls every twin action the handlers are granted through the full SDK path, here or in a named suite', () => {
    const granted = grantedTwinActions();
    const called = functionActions(hub);
    // Least privilege: no grant outruns the code, so every granted action is called, here or in a named suite.
    const elsewhere = FULL_PATH_ELSEWHERE;
    expect([...granted].filter((action) => !called.has(action) && !(action in elsewhere)).sort()).toEqual([]);
    // Each exception is granted and not called here (else it is stale).
    expect(Object.keys(elsewhere).filter((action) => !granted.has(action) || called.has(action))).toEqual([]);
    // A named suite asserts, on a hub of the full path, that the functions called the action (expectCalledOnFullPath,
    // or expectReportedOnFullPath on a `spokelink simulate` run).
    for (const [action, suite] of Object.entries(FULL_PATH_ELSEWHERE)) {
      const source = readFileSync(join(__dirname, '..', suite), 'utf8');
      const assertions = [...source.matchAll(/expect(CalledOn|ReportedOn)FullPath\([^;]*\);/g)].map((m) => m[0]);
      expect({ action, suite, asserted: assertions.some((a) => a.includes(`'${action}'`)) }).toEqual({
        action,
        suite,
        asserted: true,
      });
    }
    expect(granted.size).toBeGreaterThan(30);
  });
});

/**
 * Granted actions the whole life above does not call, each with the full-SDK-path suite (under test/) whose hub
 * calls it, asserted there by `expectCalledOnFullPath`.
 */
const FULL_PATH_ELSEWHERE: Record<string, string> = {
  'ec2:DescribeVpcEndpointConnections': 'local/demo.test.ts',
  'ec2:DescribeVpcEndpointServicePermissions': 'local/demo.test.ts',
  'ec2:ModifyVpcEndpointServicePermissions': 'local/demo.test.ts',
  'ram:AcceptResourceShareInvitation': 'local/demo.test.ts',
  'ram:AssociateResourceShare': 'local/demo.test.ts',
  'ram:CreateResourceShare': 'local/demo.test.ts',
  'ram:GetResourceShareInvitations': 'local/demo.test.ts',
  'ram:GetResourceShares': 'local/demo.test.ts',
  'states:DescribeExecution': 'local/demo.test.ts',
  'ec2:DisableTransitGatewayRouteTablePropagation': 'lifecycle/upgrade.test.ts',
  'ram:DisassociateResourceShare': 'lifecycle/upgrade.test.ts',
  'ec2:DeleteTags': 'workflow/tag-limit.test.ts',
  'ec2:AcceptTransitGatewayPeeringAttachment': 'workflow/two-regions-simulate.test.ts',
  'ec2:CreateTransitGatewayPeeringAttachment': 'workflow/two-regions-simulate.test.ts',
  'ec2:DescribeTransitGatewayPeeringAttachments': 'workflow/two-regions-simulate.test.ts',
  'ec2:DisassociateTransitGatewayRouteTable': 'workflow/two-regions-simulate.test.ts',
  'ec2:CreateSecurityGroup': 'workflow/placement-moves.test.ts',
  'ec2:CreateVpcEndpoint': 'workflow/placement-moves.test.ts',
  'ec2:DeleteSecurityGroup': 'workflow/placement-moves.test.ts',
  'ec2:DeleteVpcEndpoints': 'workflow/placement-moves.test.ts',
  'ec2:ModifyVpcEndpoint': 'workflow/placement-moves.test.ts',
  'ec2:ModifyTransitGatewayVpcAttachment': 'workflow/dual-stack.test.ts',
  'ec2:AcceptVpcEndpointConnections': 'security/endpoint-services.test.ts',
  'ec2:RejectVpcEndpointConnections': 'security/endpoint-services.test.ts',
  'route53profiles:AssociateProfile': 'security/profile-sharing.test.ts',
  'route53profiles:DisassociateProfile': 'security/profile-sharing.test.ts',
  'route53profiles:GetProfileAssociation': 'security/profile-sharing.test.ts',
  'route53profiles:ListProfileAssociations': 'security/profile-sharing.test.ts',
  'route53profiles:ListProfiles': 'security/profile-sharing.test.ts',
  'states:SendTaskFailure': 'lifecycle/approvals.test.ts',
};

/** The actions of a twin service granted to the hub's functions and the spoke roles (local/iam-policies.generated.json). */
function grantedTwinActions(): Set<string> {
  const generated = JSON.parse(readFileSync(join(__dirname, '../../local/iam-policies.generated.json'), 'utf8')) as {
    variants: Record<string, unknown>;
    peering: unknown;
  };
  const prefixes = new Set(Object.values(IAM_PREFIX));
  const actions = new Set<string>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const statements = (node as { Statement?: { Effect?: string; Action?: string | string[] }[] }).Statement;
    if (Array.isArray(statements)) {
      for (const statement of statements) {
        if (statement.Effect !== 'Allow') continue;
        for (const action of [statement.Action ?? []].flat()) {
          if (prefixes.has(action.split(':')[0]!)) actions.add(action);
        }
      }
      return;
    }
    for (const child of Object.values(node)) visit(child);
  };
  visit(generated.variants);
  visit(generated.peering);
  return actions;
}
