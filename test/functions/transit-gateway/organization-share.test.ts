import { join } from 'node:path';
import { createLocalHub, deployedWorld, type LocalHub } from '#local/hub';
import { loadConfigFile, organizationShareOf, parseConfig } from '#shared/config';
import { DEFAULT_EC2_SETTINGS, ec2State, stateAt } from '#twin/services/ec2/model';
import { loadWorldFile, type World } from '#twin/world';

/**
 * The TGW shared with the organization once, at deploy time (config `organization.shareTransitGateway`): the local
 * hub deploys the same share the CDK stack creates, the first VPC of a member account then waits for no RAM
 * propagation, and the account outside the organization keeps the per-account share and its invitation.
 */

const ROOT = join(__dirname, '..', '..', '..');
const START = Date.UTC(2026, 2, 2, 9, 0, 0);
const MEMBER = '333333333333';
const MEMBER_VPC = 'vpc-0b300000000000001';
const PARTNER = '555555555555';
const PARTNER_VPC = 'vpc-0d500000000000001';
const ORG_ARN = 'arn:aws:organizations::999999999999:organization/o-exampleorg1';
const TGW_ARN = 'arn:aws:ec2:us-east-1:111111111111:transit-gateway/tgw-0a1b2c3d4e5f60718';

const exampleConfig = () => loadConfigFile(join(ROOT, 'config/example.hub.json'));
const exampleWorld = () => loadWorldFile(join(ROOT, 'worlds/example.world.json'));

interface RamView {
  ram: { shares: Record<string, { name: string; principals: string[]; resources: string[] }> };
}
const sharesOf = (hub: LocalHub) => Object.values((hub.twin.snapshot() as unknown as RamView).ram.shares);

describe('Local deploy: the organization share of the TGW', () => {
  it('adds the share the hub stack creates: the TGW, the organization, no external principal', () => {
    const config = exampleConfig();
    const world = deployedWorld(exampleWorld(), config);

    expect(world.ram.shares).toEqual([
      {
        name: 'spokelink-tgw-organization',
        ownerId: '111111111111',
        region: 'us-east-1',
        allowExternalPrincipals: false,
        resourceArns: [TGW_ARN],
        principals: [ORG_ARN],
        pendingPrincipals: [],
        tags: [{ key: 'spokelink:managed', value: 'true' }],
      },
    ]);
    expect(organizationShareOf(config)).toMatchObject({ name: 'spokelink-tgw-organization', organizationArn: ORG_ARN });
  });

  it('adds nothing when the configuration does not share the TGW with the organization, or the world has the share', () => {
    const raw = JSON.parse(JSON.stringify(exampleConfig())) as { organization: Record<string, unknown> };
    raw.organization.shareTransitGateway = false;
    const off = parseConfig(raw);
    const world = exampleWorld();
    expect(deployedWorld(world, off)).toBe(world);

    const deployed = deployedWorld(world, exampleConfig());
    expect(deployedWorld(deployed, exampleConfig())).toBe(deployed);
  });

  it('fails the local deploy as CloudFormation would when RAM sharing with AWS Organizations is off', async () => {
    const world: World = exampleWorld();
    world.ram = { ...world.ram, sharingWithOrganizationEnabled: false };

    await expect(createLocalHub({ config: exampleConfig(), world, startTime: START })).rejects.toThrow(
      /spokelink-tgw-organization .*OperationNotPermittedException.*RAM sharing with AWS Organizations enabled/,
    );
  });
});

describe('Onboarding with the TGW shared with the organization (the example hub)', () => {
  let hub: LocalHub;
  /** The twin's calls made while each VPC onboarded (one after the other). */
  const callsOf: Record<string, LocalHub['twin']['calls']> = {};
  const calls = (operation: string) => hub.twin.calls.filter((c) => c.operation === operation);

  beforeAll(async () => {
    hub = await createLocalHub({ config: exampleConfig(), world: exampleWorld(), startTime: START });
    for (const vpcId of [MEMBER_VPC, PARTNER_VPC]) {
      const first = hub.twin.calls.length;
      hub.announceTags(vpcId);
      const run = await hub.runUntilIdle({ maxVirtualMs: 3_600_000 });
      expect(run.reason).toBe('predicate');
      callsOf[vpcId] = hub.twin.calls.slice(first);
    }
  });
  afterAll(() => hub?.close());

  const executionOf = (vpcId: string) => hub.executions().find((e) => e.name.startsWith(`${vpcId}-onboard-`))!;

  it("connects a member account's first VPC without adding the account anywhere or waiting for RAM", () => {
    const execution = executionOf(MEMBER_VPC);
    expect(execution.status).toBe('SUCCEEDED');
    const member = callsOf[MEMBER_VPC]!;
    expect(member.filter((c) => c.service === 'ram').map((c) => c.operation)).toEqual([
      'GetResourceShareAssociations',
      'GetResourceShareAssociations',
    ]);
    const creates = member.filter((c) => c.operation === 'CreateTransitGatewayVpcAttachment');
    expect(creates.map((c) => [c.accountId, c.error])).toEqual([[MEMBER, undefined]]);

    // Overhead over the attachment's own pending time and its association: the steps and the polls, no RAM
    // propagation.
    const attachment = Object.values(ec2State(hub.twin).attachments).find((a) => a.vpcId === MEMBER_VPC)!;
    const pendingAt = attachment.timeline.find((t) => t.state === 'pending')!.at;
    const availableAt = attachment.timeline.find((t) => t.state === 'available')!.at;
    expect(execution.stopDate! - execution.startDate - (availableAt - pendingAt)).toBeLessThan(
      5_000 + DEFAULT_EC2_SETTINGS.associationMs,
    );
  });

  it('connects the account outside the organization through the per-account share and its invitation', () => {
    expect(executionOf(PARTNER_VPC).status).toBe('SUCCEEDED');
    const accepted = callsOf[PARTNER_VPC]!.filter((c) => c.operation === 'AcceptResourceShareInvitation');
    expect(accepted.map((c) => [c.accountId, c.error])).toEqual([[PARTNER, undefined]]);
    const perAccount = sharesOf(hub).find((s) => s.name === 'spokelink-tgw')!;
    expect(perAccount.principals).toEqual([`${PARTNER} ASSOCIATED`]);
  });

  it('keeps the organization share exactly as deployed: the TGW and the organization only', () => {
    const share = sharesOf(hub).find((s) => s.name === 'spokelink-tgw-organization')!;
    expect(share.principals).toEqual([`${ORG_ARN} ASSOCIATED`]);
    expect(share.resources).toEqual([`${TGW_ARN} ASSOCIATED`]);
  });

  it('offboards the member VPC without touching any share', async () => {
    const before = sharesOf(hub);
    await hub.untagVpc(MEMBER_VPC, ['spokelink:connect']);
    const run = await hub.runUntilIdle({ maxVirtualMs: 3_600_000 });
    expect(run.reason).toBe('predicate');

    const offboard = hub.executions().find((e) => e.name.startsWith(`${MEMBER_VPC}-offboard-`))!;
    expect(offboard.status).toBe('SUCCEEDED');
    expect(calls('DisassociateResourceShare')).toEqual([]);
    expect(sharesOf(hub)).toEqual(before);
    const attachment = Object.values(ec2State(hub.twin).attachments).find((a) => a.vpcId === MEMBER_VPC)!;
    expect(stateAt(attachment.timeline, hub.clock.now())).toMatch(/^(deleting|deleted)$/);
  });
});
