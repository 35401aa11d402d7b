import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { type LocalHub, localPlugin } from '#local/hub';
import {
  changesBesidesTags,
  crashes,
  exampleHub,
  registryState,
  statusOf,
  tagEvent,
  VPC,
  VPC_ACCOUNT,
  VPC_ARN,
} from './helpers';

/**
 * Untrusted events: from accounts outside the organization, forged (wrong source, missing fields, account or region
 * mismatch, resources that do not exist), not events at all; and a VPC deleted while its onboarding runs. Each ends
 * with a specific answer (the intake's `ignored` reason, the event router's record, a named end state), changes
 * nothing, and crashes no Lambda: the intake never throws on bad input.
 */

const OUTSIDE = '999999999998';
const UNTAGGED_VPC = 'vpc-0b300000000000002';

describe('Bad input: events', () => {
  let hub: LocalHub;
  beforeAll(async () => {
    hub = await exampleHub();
  });
  afterAll(() => hub?.close());

  const intake = (event: unknown) => hub.lambdas.invoke('intake', event) as Promise<Record<string, unknown>>;

  it.each([
    ['null', null, /malformed event/],
    ['a string', 'Tag Change on Resource', /malformed event/],
    ['a number', 42, /malformed event/],
    ['an array', [tagEvent()], /malformed event/],
    ['an empty object', {}, /malformed event/],
    ['a wrong source', tagEvent({ source: 'custom.spokelink' }), /unexpected source\/detail-type "custom.spokelink"/],
    ['a wrong detail-type', tagEvent({ 'detail-type': 'Object Created' }), /unexpected source\/detail-type/],
    ['no resources', tagEvent({ resources: [] }), /expected exactly one resource, got 0/],
    ['two resources', tagEvent({ resources: [VPC_ARN, VPC_ARN] }), /expected exactly one resource, got 2/],
    ['a subnet ARN', tagEvent({ resources: [VPC_ARN.replace(':vpc/vpc-', ':subnet/subnet-')] }), /not an EC2 VPC ARN/],
    [
      "another account's VPC",
      tagEvent({ account: '444444444444' }),
      /the VPC belongs to account 333333333333, not to the sender 444444444444/,
    ],
    [
      'another region',
      tagEvent({ region: 'eu-west-1' }),
      /the VPC is in us-east-1, not in the event's region eu-west-1/,
    ],
    ['no detail', tagEvent({ detail: undefined }), /malformed/],
    ['tags that are not strings', tagEvent({}, { tags: { 'spokelink:connect': true } }), /malformed tag change detail/],
    [
      'a failed CloudTrail call',
      {
        ...tagEvent({ source: 'aws.ec2', 'detail-type': 'AWS API Call via CloudTrail', resources: [] }),
        detail: {
          eventName: 'DeleteVpc',
          eventSource: 'ec2.amazonaws.com',
          awsRegion: 'us-east-1',
          recipientAccountId: VPC_ACCOUNT,
          errorCode: 'Client.DependencyViolation',
          requestParameters: { vpcId: VPC },
        },
      },
      /the DeleteVpc call failed \(Client.DependencyViolation\)/,
    ],
    ['more tags than a resource can have', tagEvent({}, { tags: bigTags(60) }), /more than 50 tags/],
    [
      'a status-only change (spokelink writes its own status)',
      tagEvent({}, { 'changed-tag-keys': ['spokelink:status', 'spokelink:detail'] }),
      /no request tag changed/,
    ],
  ])('the intake ignores %s with a reason, without throwing', async (_name, event, reason) => {
    const executions = hub.executions().length;
    const result = await intake(event);
    expect(result).toEqual({ ignored: expect.stringMatching(reason) });
    expect(hub.executions()).toHaveLength(executions);
  });

  it('does not forward an event from an account outside the organization, and the hub bus denies it', async () => {
    const before = hub.twin.snapshot();
    const event = tagEvent({
      account: OUTSIDE,
      resources: [`arn:aws:ec2:us-east-1:${OUTSIDE}:vpc/vpc-0f9f9f9f9f9f9f9f9`],
    });
    hub.deliver(event);
    hub.deliver({ ...event, id: 'f0e1d2c3-b4a5-4697-8899-aabbccddee00' }, { bus: 'hub' });
    await hub.runUntilIdle({ maxVirtualMs: 600_000 });

    const outcomes = hub.events.records.filter((r) => r.account === OUTSIDE).map((r) => r.outcome);
    expect(outcomes).toEqual(['not-forwarded', 'denied']);
    expect(hub.twin.snapshot()).toEqual(before);
  });

  it('ends a forged request for a VPC that does not exist in a named state, changing nothing', async () => {
    const before = hub.twin.snapshot();
    const ghost = 'vpc-0b3ffffffffffffff';
    hub.deliver(tagEvent({ resources: [`arn:aws:ec2:us-east-1:${VPC_ACCOUNT}:vpc/${ghost}`], id: ghostId(1) }), {
      bus: 'hub',
    });
    await hub.runUntilIdle({ maxVirtualMs: 600_000 });

    const execution = hub.executions().find((e) => e.name.startsWith(`${ghost}-onboard-`))!;
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.stringify(hub.sfn.history(execution.executionArn))).toContain('EndBecauseVpcIsGone');
    expect(hub.twin.snapshot()).toEqual(before);
    expect(crashes(hub)).toEqual([]);
  });

  it('ignores a forged connect request for a VPC whose own tags ask for nothing (withdrawn), changing nothing', async () => {
    const before = hub.twin.snapshot();
    const registryBefore = await registryState(hub);
    hub.deliver(tagEvent({ resources: [`arn:aws:ec2:us-east-1:${VPC_ACCOUNT}:vpc/${UNTAGGED_VPC}`], id: ghostId(2) }), {
      bus: 'hub',
    });
    await hub.runUntilIdle({ maxVirtualMs: 600_000 });

    const execution = hub.executions().find((e) => e.name.startsWith(`${UNTAGGED_VPC}-onboard-`))!;
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.stringify(hub.sfn.history(execution.executionArn))).toContain('IgnoreWithdrawnRequest');
    expect(changesBesidesTags(before, hub.twin.snapshot(), [])).toEqual([]);
    expect(statusOf(hub, UNTAGGED_VPC).status).toBeUndefined();
    expect(await registryState(hub)).toEqual(registryBefore);
  });

  it('handles a forged event with 50 maximal tags for a VPC that asks for nothing: withdrawn, nothing changed', async () => {
    const before = hub.twin.snapshot();
    const event = tagEvent(
      { id: ghostId(4), resources: [`arn:aws:ec2:us-east-1:${VPC_ACCOUNT}:vpc/${UNTAGGED_VPC}`] },
      { tags: bigTags(49) },
    );

    const result = await intake(event);
    await hub.runUntilIdle({ maxVirtualMs: 600_000 });

    expect(result).toMatchObject({ started: { workflow: 'onboard' } });
    const execution = hub.executions().find((e) => e.name.endsWith(ghostId(4).replace(/-/g, '').slice(0, 12)))!;
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.stringify(hub.sfn.history(execution.executionArn))).toContain('IgnoreWithdrawnRequest');
    expect(changesBesidesTags(before, hub.twin.snapshot(), [])).toEqual([]);
    expect(crashes(hub)).toEqual([]);
  });

  it('starts one execution for a duplicated delivery of one event', async () => {
    const event = tagEvent({ id: ghostId(3), resources: [`arn:aws:ec2:us-east-1:${VPC_ACCOUNT}:vpc/${UNTAGGED_VPC}`] });
    const executions = hub.executions().length;
    const first = await intake(event);
    const second = await intake(event);
    await hub.runUntilIdle({ maxVirtualMs: 600_000 });

    // Step Functions answers a repeated StartExecution (same name, same input) with the same execution.
    const name = (first as { started: { name: string } }).started.name;
    expect(JSON.stringify(second)).toContain(name);
    expect(
      hub
        .executions()
        .slice(executions)
        .map((e) => e.name),
    ).toEqual([name]);
  });
});

describe('Bad input: a VPC deleted while its onboarding runs', () => {
  let hub: LocalHub;
  let ec2: EC2Client;
  let vpcId: string;
  let subnetIds: string[];
  let deleted: Promise<void> | undefined;

  beforeAll(async () => {
    // ShareTransitGateway takes 30 s here (a slow RAM read): the VPC is deleted while the onboarding is in it.
    hub = await exampleHub({
      lambdaOptions: { durationMs: (_fn, state) => (state === 'ShareTransitGateway' ? 30_000 : 0) },
    });
    const team = hub.twin.credentialsFor(`arn:aws:iam::${VPC_ACCOUNT}:role/app-team`);
    ec2 = new EC2Client({
      region: 'us-east-1',
      credentials: { accessKeyId: team.accessKeyId, secretAccessKey: team.secretAccessKey },
      maxAttempts: 1,
    });
    ec2.middlewareStack.use(localPlugin(hub.twin, hub.clock));
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }));
    vpcId = Vpc!.VpcId!;
    // Private hosted zones need DNS support and hostnames (a new VPC has hostnames off).
    for (const attribute of ['EnableDnsSupport', 'EnableDnsHostnames'] as const) {
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, [attribute]: { Value: true } }));
    }
    subnetIds = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
      const { Subnet } = await ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.77.${i}.0/24`, AvailabilityZone: az }),
      );
      subnetIds.push(Subnet!.SubnetId!);
    }
    await hub.runUntilIdle({ maxVirtualMs: 600_000 });

    // The app team asks to connect, then deletes the VPC 10 s later, before the onboarding creates the attachment.
    await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'spokelink:connect', Value: 'true' }] }));
    let gone = false;
    setTimeout(() => {
      deleted = (async () => {
        for (const id of subnetIds) await ec2.send(new DeleteSubnetCommand({ SubnetId: id }));
        await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
        gone = true;
      })();
    }, 10_000);
    await hub.runUntil(() => gone && hub.idle(), { maxVirtualMs: 3_600_000 });
    await deleted;
  });
  afterAll(() => hub?.close());

  it('ends the onboarding failed with VpcNotFoundError, naming the step', () => {
    const execution = hub.executions().find((e) => e.name.startsWith(`${vpcId}-onboard-`))!;
    expect(execution).toMatchObject({ status: 'FAILED', error: 'VpcNotFoundError' });
    expect(execution.cause).toMatch(new RegExp(`^CreateAttachment: VpcNotFoundError: ${vpcId} no longer exists`));
  });

  it('creates no attachment, crashes no Lambda, and writes no status on the VPC that is gone', () => {
    const snapshot = hub.twin.snapshot() as {
      ec2: { transitGatewayAttachments: { vpcId: string }[]; vpcs: { id: string }[] };
    };
    expect(snapshot.ec2.transitGatewayAttachments.filter((a) => a.vpcId === vpcId)).toEqual([]);
    expect(snapshot.ec2.vpcs.map((v) => v.id)).not.toContain(vpcId);
    expect(crashes(hub)).toEqual([]);
    const statusWrites = hub.twin.calls.filter(
      (c) => c.operation === 'CreateTags' && c.accountId === VPC_ACCOUNT && c.principal.includes('spokelink-spoke'),
    );
    expect(statusWrites.filter((c) => !c.error).length).toBeLessThanOrEqual(1); // `onboarding` only, before the delete
  });

  it('removes what the other branches made for it once the DeleteVpc event offboards it: nothing left behind', async () => {
    const offboarding = hub.executions().find((e) => e.name.startsWith(`${vpcId}-offboard-`));
    expect(offboarding?.status).toBe('SUCCEEDED');
    const record = (await hub.registry()).find((r) => r.sk === 'CURRENT' && r.vpcId === vpcId) as
      | { status: string; zones?: unknown[]; securityGroupRules?: unknown[]; attachmentId?: string }
      | undefined;
    expect(record?.status).toBe('disconnected');
    const snapshot = hub.twin.snapshot() as {
      route53: { zones: Record<string, { vpcs: string[]; authorizations: string[] }> };
      ec2: { vpcs: { securityGroups: { rules: { description: string | null }[] }[] }[] };
    };
    const zones = Object.values(snapshot.route53.zones);
    expect(zones.filter((z) => z.vpcs.includes(`us-east-1/${vpcId}`))).toEqual([]);
    expect(zones.filter((z) => z.authorizations.includes(`us-east-1/${vpcId}`))).toEqual([]);
    const rules = snapshot.ec2.vpcs.flatMap((v) => v.securityGroups.flatMap((g) => g.rules));
    expect(rules.filter((r) => r.description?.includes(vpcId))).toEqual([]);
  });
});

function bigTags(count: number): Record<string, string> {
  const tags: Record<string, string> = { 'spokelink:connect': 'true' };
  for (let i = 0; i < count; i += 1) tags[`${'k'.repeat(120)}${i}`] = 'v'.repeat(256);
  return tags;
}

/** A distinct event id (execution names take its first 12 hex digits). */
function ghostId(n: number): string {
  return `${String(n).padStart(8, '0')}-0e0f-4a1b-8c2d-000000000000`;
}
