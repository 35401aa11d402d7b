import { CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import {
  CreateOrganizationCommand,
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { compareScenario, type KnownDifference, MOTO_ACCOUNT, stepOf } from './harness/compare';
import { expectOnlyKnownDifferences, useMoto } from './harness/suite';

const moto = useMoto();

const SPOKE = '222222222222';
const SPOKE_ROLE = `arn:aws:iam::${SPOKE}:role/spokelink-spoke`;

describe('Twin vs moto: STS', () => {
  it('reports the calling account the same way', async () => {
    const { twin, moto: motoTrace } = await compareScenario(async ({ sts }, trace) => {
      await trace.step(
        'GetCallerIdentity',
        () => sts.send(new GetCallerIdentityCommand({})),
        (o) => o.Account,
      );
    }, moto().endpoint);
    expect(twin).toEqual(motoTrace);
    expect(twin).toEqual([{ step: 'GetCallerIdentity', result: MOTO_ACCOUNT }]);
  });

  it('assumes a role of another account; later calls act as that account, whose VPCs the caller does not see', async () => {
    const known: KnownDifference[] = [];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ sts, ec2 }, trace, env) => {
        const assumed = await trace.step(
          'AssumeRole into the spoke account',
          () =>
            sts.send(
              new AssumeRoleCommand({
                RoleArn: SPOKE_ROLE,
                RoleSessionName: 'spokelink',
                ExternalId: 'hub-external-id',
              }),
            ),
          (o) => ({ Arn: o.AssumedRoleUser?.Arn, hasSessionToken: Boolean(o.Credentials?.SessionToken) }),
        );
        const credentials = {
          accessKeyId: assumed?.Credentials?.AccessKeyId ?? 'missing',
          secretAccessKey: assumed?.Credentials?.SecretAccessKey ?? 'missing',
          sessionToken: assumed?.Credentials?.SessionToken,
        };
        const spoke = env.clientsFor(credentials);
        await trace.step(
          'GetCallerIdentity with the assumed role',
          () => spoke.sts.send(new GetCallerIdentityCommand({})),
          (o) => ({ Account: o.Account, Arn: o.Arn }),
        );
        const vpc = await trace.step(
          'CreateVpc as the spoke',
          () => spoke.ec2.send(new CreateVpcCommand({ CidrBlock: '10.110.0.0/16' })),
          (o) => o.Vpc?.OwnerId,
        );
        const vpcId = vpc?.Vpc?.VpcId ?? 'vpc-missing';
        await trace.step(
          'DescribeVpcs of the spoke VPC as the spoke',
          () => spoke.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
          (o) => (o.Vpcs ?? []).map((v) => v.OwnerId),
        );
        await trace.step('DescribeVpcs of the spoke VPC as the hub', () =>
          ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
        );
      },
      known,
      {
        // moto grants AssumeRole without an IAM role (see not-checkable.test.ts); the twin needs the role and its trust.
        twinWorld: {
          iam: {
            roles: [
              {
                arn: SPOKE_ROLE,
                trust: {
                  principalArnPatterns: [`arn:aws:iam::${MOTO_ACCOUNT}:user/tester`],
                  externalId: 'hub-external-id',
                },
              },
            ],
          },
        },
      },
    );
    expect(stepOf(twin, 'GetCallerIdentity with the assumed role')?.result).toEqual({
      Account: SPOKE,
      Arn: `arn:aws:sts::${SPOKE}:assumed-role/spokelink-spoke/spokelink`,
    });
    expect(stepOf(twin, 'DescribeVpcs of the spoke VPC as the hub')?.error).toBe('InvalidVpcID.NotFound');
  });
});

/** An account in no organization. */
const STRANGER = '999999999999';

describe('Twin vs moto: Organizations (read by the management account)', () => {
  it('answers AWSOrganizationsNotInUseException without an organization', async () => {
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ organizations }, trace) => {
        await trace.step('DescribeOrganization without an organization', () =>
          organizations.send(new DescribeOrganizationCommand({})),
        );
      },
      [],
    );
    expect(stepOf(twin, 'DescribeOrganization without an organization')?.error).toBe(
      'AWSOrganizationsNotInUseException',
    );
  });

  it('describes the organization, the management account and its parent', async () => {
    const known: KnownDifference[] = [
      {
        step: 'ListParents of an account outside the organization',
        why: 'An unknown ChildId is ChildNotFoundException ("We can\'t find an organizational unit (OU) or AWS account with the ChildId that you specified"), one of ListParents\' documented errors; moto answers AccountNotFoundException, which ListParents does not list.',
        awsDoc: 'https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ organizations }, trace) => {
        await trace.step(
          'DescribeOrganization',
          () => organizations.send(new DescribeOrganizationCommand({})),
          (o) => ({
            Id: o.Organization?.Id,
            Arn: o.Organization?.Arn,
            MasterAccountId: o.Organization?.MasterAccountId,
            FeatureSet: o.Organization?.FeatureSet,
          }),
        );
        await trace.step(
          'ListParents of the management account',
          () => organizations.send(new ListParentsCommand({ ChildId: MOTO_ACCOUNT })),
          (o) => o.Parents,
        );
        await trace.step(
          'DescribeAccount of the management account',
          () => organizations.send(new DescribeAccountCommand({ AccountId: MOTO_ACCOUNT })),
          (o) => ({ Id: o.Account?.Id, Arn: o.Account?.Arn, Name: o.Account?.Name, Status: o.Account?.Status }),
        );
        await trace.step('DescribeAccount of an account outside the organization', () =>
          organizations.send(new DescribeAccountCommand({ AccountId: STRANGER })),
        );
        await trace.step('ListParents of an account outside the organization', () =>
          organizations.send(new ListParentsCommand({ ChildId: STRANGER })),
        );
        // Trusted access (preflight: StackSets): none enabled in a new organization.
        await trace.step(
          'ListAWSServiceAccessForOrganization of a new organization',
          () => organizations.send(new ListAWSServiceAccessForOrganizationCommand({})),
          (o) => o.EnabledServicePrincipals ?? [],
        );
      },
      known,
      {
        // The same organization on both sides: moto creates it through the API (its management account is called
        // "master"); the twin does not model CreateOrganization and gets it from the world.
        twinWorld: {
          organization: {
            id: 'o-motoorg0001',
            managementAccountId: MOTO_ACCOUNT,
            rootId: 'r-ab12',
            accounts: [{ id: MOTO_ACCOUNT, name: 'master' }],
          },
        },
        motoSetup: async ({ organizations }) => {
          await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
        },
      },
    );
    expect(stepOf(twin, 'ListParents of an account outside the organization')?.error).toBe('ChildNotFoundException');
    // Same on both: the organization, the management account under the root, AccountNotFoundException.
    expect(stepOf(twin, 'ListParents of the management account')?.result).toEqual([{ Id: 'r-#1', Type: 'ROOT' }]);
    expect(stepOf(twin, 'DescribeAccount of an account outside the organization')?.error).toBe(
      'AccountNotFoundException',
    );
  });
  it('lists the accounts and organizational units under the root the same way (what the reconcile walks)', async () => {
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ organizations }, trace) => {
        const parents = await organizations.send(new ListParentsCommand({ ChildId: MOTO_ACCOUNT }));
        const rootId = parents.Parents?.[0]?.Id ?? 'r-missing';
        await trace.step(
          'ListAccounts',
          () => organizations.send(new ListAccountsCommand({})),
          (o) => o.Accounts?.map((a) => ({ Id: a.Id, Name: a.Name, Status: a.Status })),
        );
        await trace.step(
          'ListAccountsForParent of the root',
          () => organizations.send(new ListAccountsForParentCommand({ ParentId: rootId })),
          (o) => o.Accounts?.map((a) => ({ Id: a.Id, Name: a.Name, Status: a.Status })),
        );
        await trace.step(
          'ListOrganizationalUnitsForParent of the root',
          () => organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId })),
          (o) => o.OrganizationalUnits ?? [],
        );
      },
      [],
      {
        twinWorld: {
          organization: {
            id: 'o-motoorg0001',
            managementAccountId: MOTO_ACCOUNT,
            rootId: 'r-ab12',
            accounts: [{ id: MOTO_ACCOUNT, name: 'master' }],
          },
        },
        motoSetup: async ({ organizations }) => {
          await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
        },
      },
    );
    expect(stepOf(twin, 'ListAccounts')?.result).toEqual([{ Id: MOTO_ACCOUNT, Name: 'master', Status: 'ACTIVE' }]);
    expect(stepOf(twin, 'ListOrganizationalUnitsForParent of the root')?.result).toEqual([]);
  });
});
