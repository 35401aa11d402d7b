import { CreateTransitGatewayCommand } from '@aws-sdk/client-ec2';
import { CreateOrganizationCommand, DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import {
  CreateResourceShareCommand,
  DeleteResourceShareCommand,
  EnableSharingWithAwsOrganizationCommand,
  GetResourceShareAssociationsCommand,
  GetResourceSharesCommand,
  type ResourceShare,
  type ResourceShareAssociation,
} from '@aws-sdk/client-ram';
import { type Clients, type KnownDifference, MOTO_ACCOUNT, stepOf, type Tracer } from './harness/compare';
import { expectOnlyKnownDifferences, useMoto } from './harness/suite';

const moto = useMoto();

/** An account outside the (absent) organization: sharing with it goes through an invitation. */
const SPOKE = '222222222222';

const shareView = (s: ResourceShare | undefined) => ({
  resourceShareArn: s?.resourceShareArn,
  name: s?.name,
  owningAccountId: s?.owningAccountId,
  allowExternalPrincipals: s?.allowExternalPrincipals,
  status: s?.status,
  tags: (s?.tags ?? []).map((t) => `${t.key}=${t.value}`).sort(),
});
const associationView = (a: ResourceShareAssociation) => ({
  resourceShareArn: a.resourceShareArn,
  resourceShareName: a.resourceShareName,
  associatedEntity: a.associatedEntity,
  associationType: a.associationType,
  status: a.status,
  external: a.external,
});

describe('Twin vs moto: RAM (the owner account view)', () => {
  it('shares a TGW with an account, lists the share and its associations, deletes it', async () => {
    const api = 'https://docs.aws.amazon.com/ram/latest/APIReference/';
    const known: KnownDifference[] = [
      {
        step: 'CreateResourceShare of a TGW with an account',
        why: 'The share carries the tags given at creation (ResourceShare.tags); moto drops them.',
        awsDoc: `${api}API_ResourceShare.html`,
      },
      {
        step: 'GetResourceShares SELF',
        why: 'Same: moto lists the share without its tags.',
        awsDoc: `${api}API_ResourceShare.html`,
      },
      {
        step: 'GetResourceShareAssociations PRINCIPAL',
        why: "An account outside the owner's organization (here there is none) gets an invitation; its association stays ASSOCIATING until it accepts, and `external` is true (the principal is not in the owner's organization). moto answers ASSOCIATED and external false.",
        awsDoc: 'https://docs.aws.amazon.com/ram/latest/userguide/working-with-shared-invitations.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2, ram }, trace) => {
        const tgw = await ec2.send(new CreateTransitGatewayCommand({ Description: 'hub' }));
        const tgwArn = tgw.TransitGateway?.TransitGatewayArn ?? 'arn:missing';
        const created = await trace.step(
          'CreateResourceShare of a TGW with an account',
          () =>
            ram.send(
              new CreateResourceShareCommand({
                name: 'hub-tgw',
                resourceArns: [tgwArn],
                principals: [SPOKE],
                allowExternalPrincipals: true,
                tags: [{ key: 'spokelink', value: 'hub' }],
              }),
            ),
          (o) => shareView(o.resourceShare),
        );
        const shareArn = created?.resourceShare?.resourceShareArn ?? 'arn:missing';
        await trace.step(
          'GetResourceShares SELF',
          () => ram.send(new GetResourceSharesCommand({ resourceOwner: 'SELF' })),
          (o) => (o.resourceShares ?? []).map(shareView),
        );
        await trace.step(
          'GetResourceShareAssociations RESOURCE',
          () => ram.send(new GetResourceShareAssociationsCommand({ associationType: 'RESOURCE' })),
          (o) => (o.resourceShareAssociations ?? []).map(associationView),
        );
        await trace.step(
          'GetResourceShareAssociations PRINCIPAL',
          () => ram.send(new GetResourceShareAssociationsCommand({ associationType: 'PRINCIPAL' })),
          (o) => (o.resourceShareAssociations ?? []).map(associationView),
        );
        await trace.step(
          'GetResourceShareAssociations PRINCIPAL of the share by principal',
          () =>
            ram.send(
              new GetResourceShareAssociationsCommand({
                associationType: 'PRINCIPAL',
                resourceShareArns: [shareArn],
                principal: SPOKE,
              }),
            ),
          (o) => (o.resourceShareAssociations ?? []).map((a) => a.associatedEntity),
        );
        await trace.step('GetResourceShareAssociations PRINCIPAL with a resourceArn', () =>
          ram.send(new GetResourceShareAssociationsCommand({ associationType: 'PRINCIPAL', resourceArn: tgwArn })),
        );
        await trace.step('GetResourceShareAssociations RESOURCE with a principal', () =>
          ram.send(new GetResourceShareAssociationsCommand({ associationType: 'RESOURCE', principal: SPOKE })),
        );
        await trace.step('CreateResourceShare with a malformed resource ARN', () =>
          ram.send(new CreateResourceShareCommand({ name: 'bad', resourceArns: ['not-an-arn'] })),
        );
        await trace.step('CreateResourceShare with a malformed principal', () =>
          ram.send(new CreateResourceShareCommand({ name: 'bad', principals: ['not-a-principal'] })),
        );
        await trace.step(
          'DeleteResourceShare',
          () => ram.send(new DeleteResourceShareCommand({ resourceShareArn: shareArn })),
          (o) => o.returnValue,
        );
        await trace.step(
          'GetResourceShares SELF after deleting',
          () => ram.send(new GetResourceSharesCommand({ resourceOwner: 'SELF' })),
          (o) => (o.resourceShares ?? []).map((s) => ({ name: s.name, status: s.status })),
        );
      },
      known,
    );
    expect(stepOf(twin, 'CreateResourceShare of a TGW with an account')?.result).toMatchObject({
      owningAccountId: MOTO_ACCOUNT,
      status: 'ACTIVE',
      tags: ['spokelink=hub'],
    });
    expect(stepOf(twin, 'GetResourceShares SELF')?.result).toEqual([
      expect.objectContaining({ name: 'hub-tgw', status: 'ACTIVE', tags: ['spokelink=hub'] }),
    ]);
    expect(stepOf(twin, 'GetResourceShareAssociations PRINCIPAL')?.result).toEqual([
      expect.objectContaining({ associatedEntity: SPOKE, status: 'ASSOCIATING', external: true }),
    ]);
    // Same on both: the TGW association, the parameter checks, and DELETED after deletion.
    expect(stepOf(twin, 'GetResourceShareAssociations RESOURCE')?.result).toEqual([
      expect.objectContaining({ associationType: 'RESOURCE', status: 'ASSOCIATED' }),
    ]);
    expect(stepOf(twin, 'GetResourceShareAssociations PRINCIPAL with a resourceArn')?.error).toBe(
      'InvalidParameterException',
    );
    expect(stepOf(twin, 'CreateResourceShare with a malformed resource ARN')?.error).toBe('MalformedArnException');
    expect(stepOf(twin, 'CreateResourceShare with a malformed principal')?.error).toBe('InvalidParameterException');
    expect(stepOf(twin, 'GetResourceShares SELF after deleting')?.result).toEqual([
      { name: 'hub-tgw', status: 'DELETED' },
    ]);
  });
  it('enables sharing with the organization only from its management account', async () => {
    const enable = (trace: Tracer, ram: Clients['ram'], step: string) =>
      trace.step(
        step,
        () => ram.send(new EnableSharingWithAwsOrganizationCommand({})),
        (o) => o.returnValue,
      );
    const without = await expectOnlyKnownDifferences(
      moto(),
      async ({ ram }, trace) => {
        await enable(trace, ram, 'EnableSharingWithAwsOrganization without an organization');
      },
      [],
    );
    expect(stepOf(without.twin, 'EnableSharingWithAwsOrganization without an organization')?.error).toBe(
      'OperationNotPermittedException',
    );
    await moto().reset();
    const withOrg = await expectOnlyKnownDifferences(
      moto(),
      async ({ ram }, trace) => {
        await enable(trace, ram, 'EnableSharingWithAwsOrganization as the management account');
      },
      [],
      {
        twinWorld: {
          organization: {
            id: 'o-motoorg0001',
            managementAccountId: MOTO_ACCOUNT,
            accounts: [{ id: MOTO_ACCOUNT, name: 'master' }],
          },
        },
        motoSetup: async ({ organizations }) => {
          await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
        },
      },
    );
    expect(stepOf(withOrg.twin, 'EnableSharingWithAwsOrganization as the management account')?.result).toBe(true);
  });

  it('shares a TGW with the organization by the ARN that names its management account, and no other', async () => {
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2, ram, organizations }, trace) => {
        const tgw = await ec2.send(new CreateTransitGatewayCommand({ Description: 'hub' }));
        const tgwArn = tgw.TransitGateway?.TransitGatewayArn ?? 'arn:missing';
        const { Organization } = await organizations.send(new DescribeOrganizationCommand({}));
        const orgArn = Organization?.Arn ?? 'arn:missing';
        await enableSharing(trace, ram);
        const created = await trace.step(
          'CreateResourceShare of a TGW with the organization',
          () =>
            ram.send(
              new CreateResourceShareCommand({
                name: 'hub-tgw-organization',
                resourceArns: [tgwArn],
                principals: [orgArn],
                allowExternalPrincipals: false,
              }),
            ),
          (o) => shareView(o.resourceShare),
        );
        const shareArn = created?.resourceShare?.resourceShareArn ?? 'arn:missing';
        await trace.step(
          'GetResourceShareAssociations PRINCIPAL of the organization',
          () =>
            ram.send(
              new GetResourceShareAssociationsCommand({
                associationType: 'PRINCIPAL',
                principal: orgArn,
                resourceShareArns: [shareArn],
              }),
            ),
          (o) => (o.resourceShareAssociations ?? []).map(associationView),
        );
        // The same organization id under another account names no organization.
        const otherAccount = orgArn.replace(`::${MOTO_ACCOUNT}:`, '::111111111111:');
        await trace.step(
          'CreateResourceShare with an organization ARN of another account',
          () =>
            ram.send(
              new CreateResourceShareCommand({ name: 'wrong', resourceArns: [tgwArn], principals: [otherAccount] }),
            ),
          (o) => shareView(o.resourceShare),
        );
      },
      [],
      {
        twinWorld: {
          organization: {
            id: 'o-motoorg0001',
            managementAccountId: MOTO_ACCOUNT,
            accounts: [{ id: MOTO_ACCOUNT, name: 'master' }],
          },
          ram: { sharingWithOrganizationEnabled: false },
        },
        motoSetup: async ({ organizations }) => {
          await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
        },
      },
    );
    expect(stepOf(twin, 'CreateResourceShare of a TGW with the organization')?.error).toBeUndefined();
    expect(stepOf(twin, 'CreateResourceShare with an organization ARN of another account')?.error).toBe(
      'UnknownResourceException',
    );
  });
});

/** EnableSharingWithAwsOrganization as the management account (traced: both sides answer true). */
async function enableSharing(trace: Tracer, ram: Clients['ram']): Promise<void> {
  await trace.step(
    'EnableSharingWithAwsOrganization',
    () => ram.send(new EnableSharingWithAwsOrganizationCommand({})),
    (o) => o.returnValue,
  );
}
