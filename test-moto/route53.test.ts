import { CreateVpcCommand } from '@aws-sdk/client-ec2';
import {
  AssociateVPCWithHostedZoneCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  DisassociateVPCFromHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  type HostedZone,
  ListHostedZonesByVPCCommand,
  ListHostedZonesCommand,
  type VPC,
} from '@aws-sdk/client-route-53';
import { type Clients, type KnownDifference, MOTO_ACCOUNT, REGION, stepOf } from './harness/compare';
import { expectOnlyKnownDifferences, useMoto } from './harness/suite';

const moto = useMoto();

/** Longer than the twin's Route 53 change window (route53ChangeMs, 2 s): the previous change is INSYNC. */
const CHANGE_SETTLED_MS = 10_000;
const ZONE = 'ssm.us-east-1.amazonaws.com';

const zoneView = (z: HostedZone | undefined) => ({
  Id: z?.Id,
  Name: z?.Name,
  PrivateZone: z?.Config?.PrivateZone,
  Comment: z?.Config?.Comment,
});

/** Three VPCs of the account (the twin checks that a VPC exists), named A, B, C in answers. */
async function threeVpcs(ec2: Clients['ec2']) {
  const vpcId = async (cidr: string) =>
    (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId ?? 'vpc-missing';
  const a = await vpcId('10.100.0.0/16');
  const b = await vpcId('10.101.0.0/16');
  const c = await vpcId('10.102.0.0/16');
  const names = new Map([
    [a, 'A'],
    [b, 'B'],
    [c, 'C'],
  ]);
  return {
    a,
    b,
    c,
    vpc: (id: string): VPC => ({ VPCId: id, VPCRegion: REGION }),
    /** VPCs by name, sorted (the order of an answer's VPCs is not specified). */
    names: (list: VPC[] | undefined) =>
      (list ?? []).map((v) => `${v.VPCRegion}/${names.get(v.VPCId ?? '') ?? v.VPCId}`).sort(),
  };
}

describe('Twin vs moto: Route 53 private hosted zones (one account)', () => {
  it('creates a private zone with a VPC, associates another, lists zones by VPC, disassociates', async () => {
    const api = 'https://docs.aws.amazon.com/Route53/latest/APIReference/';
    const known: KnownDifference[] = [
      {
        step: 'CreateHostedZone private with a VPC',
        why: 'ChangeInfo is PENDING ("this request has not yet been applied to all Amazon Route 53 DNS servers") and INSYNC later (the twin: after route53ChangeMs); moto answers INSYNC at once.',
        awsDoc: `${api}API_ChangeInfo.html`,
      },
      {
        step: 'AssociateVPCWithHostedZone',
        why: 'Same: the association change is PENDING first.',
        awsDoc: `${api}API_AssociateVPCWithHostedZone.html`,
      },
      {
        step: 'DisassociateVPCFromHostedZone',
        why: 'Same: the disassociation change is PENDING first.',
        awsDoc: `${api}API_DisassociateVPCFromHostedZone.html`,
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2, route53 }, trace, env) => {
        const { a, b, vpc, names } = await threeVpcs(ec2);
        const created = await trace.step(
          'CreateHostedZone private with a VPC',
          () =>
            route53.send(
              new CreateHostedZoneCommand({
                Name: ZONE,
                CallerReference: 'spokelink-ref-1',
                VPC: vpc(a),
                HostedZoneConfig: { PrivateZone: true, Comment: 'ssm endpoint' },
              }),
            ),
          (o) => ({
            HostedZone: zoneView(o.HostedZone),
            Status: o.ChangeInfo?.Status,
            VPC: names(o.VPC ? [o.VPC] : []),
          }),
        );
        const zoneId = created?.HostedZone?.Id ?? '/hostedzone/ZMISSING';
        await trace.step(
          'GetHostedZone',
          () => route53.send(new GetHostedZoneCommand({ Id: zoneId })),
          (o) => ({ HostedZone: zoneView(o.HostedZone), VPCs: names(o.VPCs) }),
        );
        env.advance(CHANGE_SETTLED_MS);
        await trace.step(
          'AssociateVPCWithHostedZone',
          () => route53.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc(b) })),
          (o) => o.ChangeInfo?.Status,
        );
        env.advance(CHANGE_SETTLED_MS);
        await trace.step(
          'GetHostedZone after associating',
          () => route53.send(new GetHostedZoneCommand({ Id: zoneId })),
          (o) => names(o.VPCs),
        );
        await trace.step(
          'ListHostedZonesByVPC of the associated VPC',
          () => route53.send(new ListHostedZonesByVPCCommand({ VPCId: b, VPCRegion: REGION })),
          (o) =>
            (o.HostedZoneSummaries ?? []).map((z) => ({ HostedZoneId: z.HostedZoneId, Name: z.Name, Owner: z.Owner })),
        );
        await trace.step(
          'DisassociateVPCFromHostedZone',
          () => route53.send(new DisassociateVPCFromHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc(b) })),
          (o) => o.ChangeInfo?.Status,
        );
        env.advance(CHANGE_SETTLED_MS);
        await trace.step(
          'GetHostedZone after disassociating',
          () => route53.send(new GetHostedZoneCommand({ Id: zoneId })),
          (o) => names(o.VPCs),
        );
        await trace.step(
          'ListHostedZonesByVPC of the disassociated VPC',
          () => route53.send(new ListHostedZonesByVPCCommand({ VPCId: b, VPCRegion: REGION })),
          (o) => (o.HostedZoneSummaries ?? []).map((z) => z.HostedZoneId),
        );
      },
      known,
    );
    expect(stepOf(twin, 'CreateHostedZone private with a VPC')?.result).toMatchObject({ Status: 'PENDING' });
    expect(stepOf(twin, 'AssociateVPCWithHostedZone')?.result).toBe('PENDING');
    expect(stepOf(twin, 'DisassociateVPCFromHostedZone')?.result).toBe('PENDING');
    // Same on both: the zone, its VPCs and the zones of a VPC.
    expect(stepOf(twin, 'GetHostedZone after associating')?.result).toEqual(['us-east-1/A', 'us-east-1/B']);
    expect(stepOf(twin, 'ListHostedZonesByVPC of the associated VPC')?.result).toEqual([
      { HostedZoneId: 'Z-#1', Name: `${ZONE}.`, Owner: { OwningAccount: MOTO_ACCOUNT } },
    ]);
  });

  it('refuses a reused CallerReference, conflicting domains, unknown associations, the last VPC and unknown ids', async () => {
    const api = 'https://docs.aws.amazon.com/Route53/latest/APIReference/';
    const associate = `${api}API_AssociateVPCWithHostedZone.html`;
    const disassociate = `${api}API_DisassociateVPCFromHostedZone.html`;
    const known: KnownDifference[] = [
      {
        step: 'CreateHostedZone with a CallerReference already used',
        why: 'HostedZoneAlreadyExists: "Amazon Route 53 returns this error when a hosted zone has already been created with the specified CallerReference"; moto creates another zone.',
        awsDoc: `${api}API_CreateHostedZone.html`,
      },
      {
        step: 'AssociateVPCWithHostedZone of a VPC already associated',
        why: 'ConflictingDomainExists: the VPC is already associated with a zone of that name (this one); users report this answer for a repeated association (github.com/saltstack/salt/pull/47480, github.com/infrablocks/terraform-aws-base-networking/issues/4). moto accepts it again.',
        awsDoc: associate,
      },
      {
        step: 'CreateHostedZone of the same name with an associated VPC',
        why: 'ConflictingDomainExists, "Create a private hosted zone: A hosted zone with the specified name already exists and is already associated with the Amazon VPC that you specified"; moto creates it.',
        awsDoc: `${api}API_CreateHostedZone.html`,
      },
      {
        step: 'AssociateVPCWithHostedZone of a VPC in another zone of that name',
        why: 'ConflictingDomainExists, "The VPC that you specified is already associated with another hosted zone that has the same name"; moto associates it.',
        awsDoc: associate,
      },
      {
        step: 'DisassociateVPCFromHostedZone of a VPC not associated',
        why: 'VPCAssociationNotFound: "The specified VPC and hosted zone are not currently associated"; moto succeeds.',
        awsDoc: disassociate,
      },
      {
        step: 'DisassociateVPCFromHostedZone of the last VPC',
        why: 'LastVPCAssociation: Route 53 does not disassociate the last VPC of a private hosted zone; moto removes it.',
        awsDoc: disassociate,
      },
      {
        step: 'GetHostedZone at the end',
        why: 'Consequence of the steps above: on moto the zone lost VPC A and gained VPC C.',
        awsDoc: disassociate,
      },
      {
        step: 'AssociateVPCWithHostedZone of a VPC that does not exist',
        why: 'InvalidVPCId: "The VPC ID that you specified either isn\'t a valid ID or the current account is not authorized to access this VPC"; moto associates any id.',
        awsDoc: associate,
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2, route53 }, trace, env) => {
        const { a, b, c, vpc, names } = await threeVpcs(ec2);
        const created = await route53.send(
          new CreateHostedZoneCommand({
            Name: ZONE,
            CallerReference: 'spokelink-ref-1',
            VPC: vpc(a),
            HostedZoneConfig: { PrivateZone: true },
          }),
        );
        const zoneId = created.HostedZone?.Id ?? '/hostedzone/ZMISSING';
        env.advance(CHANGE_SETTLED_MS);
        await trace.step('CreateHostedZone with a CallerReference already used', () =>
          route53.send(
            new CreateHostedZoneCommand({
              Name: 'other.example.internal',
              CallerReference: 'spokelink-ref-1',
              VPC: vpc(b),
              HostedZoneConfig: { PrivateZone: true },
            }),
          ),
        );
        await trace.step('AssociateVPCWithHostedZone of a VPC already associated', () =>
          route53.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc(a) })),
        );
        await trace.step('CreateHostedZone of the same name with an associated VPC', () =>
          route53.send(
            new CreateHostedZoneCommand({
              Name: ZONE,
              CallerReference: 'spokelink-ref-2',
              VPC: vpc(a),
              HostedZoneConfig: { PrivateZone: true },
            }),
          ),
        );
        await trace.step(
          'CreateHostedZone of the same name with another VPC',
          () =>
            route53.send(
              new CreateHostedZoneCommand({
                Name: ZONE,
                CallerReference: 'spokelink-ref-3',
                VPC: vpc(c),
                HostedZoneConfig: { PrivateZone: true },
              }),
            ),
          (o) => zoneView(o.HostedZone),
        );
        env.advance(CHANGE_SETTLED_MS);
        await trace.step('AssociateVPCWithHostedZone of a VPC in another zone of that name', () =>
          route53.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc(c) })),
        );
        await trace.step('DisassociateVPCFromHostedZone of a VPC not associated', () =>
          route53.send(new DisassociateVPCFromHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc(b) })),
        );
        await trace.step('DisassociateVPCFromHostedZone of the last VPC', () =>
          route53.send(new DisassociateVPCFromHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc(a) })),
        );
        await trace.step(
          'GetHostedZone at the end',
          () => route53.send(new GetHostedZoneCommand({ Id: zoneId })),
          (o) => names(o.VPCs),
        );
        await trace.step('GetHostedZone of a zone that does not exist', () =>
          route53.send(new GetHostedZoneCommand({ Id: 'Z0AAAAAAAAAAAAAAAAAA' })),
        );
        await trace.step('AssociateVPCWithHostedZone of a VPC that does not exist', () =>
          route53.send(
            new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc('vpc-0aaaaaaaaaaaaaaaa') }),
          ),
        );
      },
      known,
    );
    const error = (step: string) => stepOf(twin, step)?.error;
    expect(error('CreateHostedZone with a CallerReference already used')).toBe('HostedZoneAlreadyExists');
    expect(error('AssociateVPCWithHostedZone of a VPC already associated')).toBe('ConflictingDomainExists');
    expect(error('CreateHostedZone of the same name with an associated VPC')).toBe('ConflictingDomainExists');
    expect(error('AssociateVPCWithHostedZone of a VPC in another zone of that name')).toBe('ConflictingDomainExists');
    expect(error('DisassociateVPCFromHostedZone of a VPC not associated')).toBe('VPCAssociationNotFound');
    expect(error('DisassociateVPCFromHostedZone of the last VPC')).toBe('LastVPCAssociation');
    expect(stepOf(twin, 'GetHostedZone at the end')?.result).toEqual(['us-east-1/A']);
    expect(error('AssociateVPCWithHostedZone of a VPC that does not exist')).toBe('InvalidVPCId');
    // Same on both: an unknown zone is NoSuchHostedZone.
    expect(error('GetHostedZone of a zone that does not exist')).toBe('NoSuchHostedZone');
  });
  it('follows a change to INSYNC, lists the zones, deletes a zone', async () => {
    const api = 'https://docs.aws.amazon.com/Route53/latest/APIReference/';
    const known: KnownDifference[] = [
      {
        step: 'GetChange right after creating',
        why: 'The change is PENDING until it reaches every Route 53 server, and ChangeInfo.Id is answered as `/change/ID` (GetChange sample response); moto answers INSYNC with a bare id.',
        awsDoc: `${api}API_GetChange.html`,
      },
      {
        step: 'ListHostedZones',
        why: 'A zone created with a VPC is a private hosted zone (VPC: "Private hosted zones only"), so Config.PrivateZone is true; moto answers false when HostedZoneConfig.PrivateZone is not given.',
        awsDoc: `${api}API_CreateHostedZone.html`,
      },
      {
        step: 'DeleteHostedZone',
        why: 'The deletion change is PENDING first; moto answers INSYNC.',
        awsDoc: `${api}API_DeleteHostedZone.html`,
      },
      {
        step: 'GetChange of a change that does not exist',
        why: 'NoSuchChange: "A change with the specified change ID does not exist"; moto answers a change for any id.',
        awsDoc: `${api}API_GetChange.html`,
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2, route53 }, trace, env) => {
        const { a, b, vpc } = await threeVpcs(ec2);
        const first = await route53.send(
          new CreateHostedZoneCommand({ Name: ZONE, CallerReference: 'ref-a', VPC: vpc(a) }),
        );
        const zoneId = first.HostedZone?.Id ?? '/hostedzone/ZMISSING';
        await trace.step(
          'GetChange right after creating',
          () => route53.send(new GetChangeCommand({ Id: first.ChangeInfo?.Id ?? '' })),
          (o) => ({
            Id: o.ChangeInfo?.Id?.startsWith('/change/') ? '/change/<id>' : o.ChangeInfo?.Id && '<bare id>',
            Status: o.ChangeInfo?.Status,
          }),
        );
        env.advance(CHANGE_SETTLED_MS);
        await trace.step(
          'GetChange once settled',
          () => route53.send(new GetChangeCommand({ Id: first.ChangeInfo?.Id ?? '' })),
          (o) => o.ChangeInfo?.Status,
        );
        await route53.send(
          new CreateHostedZoneCommand({ Name: 'sts.us-east-1.amazonaws.com', CallerReference: 'ref-b', VPC: vpc(b) }),
        );
        await trace.step(
          'ListHostedZones',
          () => route53.send(new ListHostedZonesCommand({})),
          (o) => ({
            zones: (o.HostedZones ?? []).map(zoneView).sort((x, y) => (x.Name ?? '').localeCompare(y.Name ?? '')),
            IsTruncated: o.IsTruncated,
          }),
        );
        await trace.step(
          'DeleteHostedZone',
          () => route53.send(new DeleteHostedZoneCommand({ Id: zoneId })),
          (o) => o.ChangeInfo?.Status,
        );
        await trace.step('GetHostedZone after deleting', () => route53.send(new GetHostedZoneCommand({ Id: zoneId })));
        await trace.step('DeleteHostedZone again', () => route53.send(new DeleteHostedZoneCommand({ Id: zoneId })));
        await trace.step('GetChange of a change that does not exist', () =>
          route53.send(new GetChangeCommand({ Id: 'C0AAAAAAAAAAAAAAAAAA' })),
        );
      },
      known,
    );
    expect(stepOf(twin, 'GetChange right after creating')?.result).toEqual({ Id: '/change/<id>', Status: 'PENDING' });
    expect(stepOf(twin, 'ListHostedZones')?.result).toMatchObject({
      zones: [{ PrivateZone: true }, { PrivateZone: true }],
    });
    expect(stepOf(twin, 'DeleteHostedZone')?.result).toBe('PENDING');
    expect(stepOf(twin, 'GetChange of a change that does not exist')?.error).toBe('NoSuchChange');
    // Same on both: INSYNC once settled; a deleted zone is NoSuchHostedZone.
    expect(stepOf(twin, 'GetChange once settled')?.result).toBe('INSYNC');
    expect(stepOf(twin, 'GetHostedZone after deleting')?.error).toBe('NoSuchHostedZone');
  });
});
