import {
  CreateOrganizationCommand,
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  ListParentsCommand,
} from '@aws-sdk/client-organizations';
import { type KnownDifference, MOTO_ACCOUNT, stepOf } from './harness/compare';
import { expectOnlyKnownDifferences, useMoto } from './harness/suite';

const moto = useMoto();

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
});
