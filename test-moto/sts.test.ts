import { CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
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
