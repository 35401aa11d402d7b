import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteTagsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  type Tag,
  type TagDescription,
} from '@aws-sdk/client-ec2';
import { type KnownDifference, stepOf } from './harness/compare';
import { expectOnlyKnownDifferences, tagMap, useMoto } from './harness/suite';

const moto = useMoto();

const rows = (tags: TagDescription[] | undefined) =>
  (tags ?? [])
    .map((t) => ({ ResourceId: t.ResourceId, ResourceType: t.ResourceType, Key: t.Key, Value: t.Value }))
    .sort((a, b) => `${a.ResourceId}${a.Key}`.localeCompare(`${b.ResourceId}${b.Key}`));

const many = (n: number, prefix = 'k'): Tag[] =>
  Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: 'v' }));

describe('Twin vs moto: tags', () => {
  it('creates, describes and deletes tags (by key, by key and value) on a VPC and a subnet', async () => {
    const known: KnownDifference[] = [
      {
        step: 'DescribeTags of the subnet after deleting every tag',
        why: 'DeleteTags without Tags deletes every user-defined tag of the resources ("If you omit this parameter, we delete all user-defined tags for the specified resources"); moto deletes none.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        const subnet = await ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.70.1.0/24', AvailabilityZone: 'us-east-1a' }),
        );
        const subnetId = subnet.Subnet?.SubnetId ?? 'subnet-missing';
        await trace.step('CreateTags on a VPC and a subnet', () =>
          ec2.send(
            new CreateTagsCommand({
              Resources: [vpcId, subnetId],
              Tags: [
                { Key: 'spokelink:connect', Value: 'true' },
                { Key: 'spokelink:segment', Value: 'prod' },
                { Key: 'Empty', Value: '' },
              ],
            }),
          ),
        );
        await trace.step(
          'DescribeTags by resource-id',
          () => ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [vpcId, subnetId] }] })),
          (o) => rows(o.Tags),
        );
        await trace.step(
          'DescribeTags by resource-id and key',
          () =>
            ec2.send(
              new DescribeTagsCommand({
                Filters: [
                  { Name: 'resource-id', Values: [vpcId, subnetId] },
                  { Name: 'key', Values: ['spokelink:segment'] },
                ],
              }),
            ),
          (o) => rows(o.Tags),
        );
        await trace.step(
          'DescribeTags by resource-type and value',
          () =>
            ec2.send(
              new DescribeTagsCommand({
                Filters: [
                  { Name: 'resource-id', Values: [vpcId, subnetId] },
                  { Name: 'resource-type', Values: ['subnet'] },
                  { Name: 'value', Values: ['prod'] },
                ],
              }),
            ),
          (o) => rows(o.Tags),
        );
        await trace.step('CreateTags overwrites a value', () =>
          ec2.send(
            new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'spokelink:segment', Value: 'nonprod' }] }),
          ),
        );
        await trace.step('DeleteTags with a value that does not match', () =>
          ec2.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'spokelink:segment', Value: 'prod' }] })),
        );
        await trace.step(
          'DescribeVpcs tags after the mismatched delete',
          () => ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
          (o) => tagMap(o.Vpcs?.[0]?.Tags),
        );
        await trace.step('DeleteTags with the matching value', () =>
          ec2.send(
            new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'spokelink:segment', Value: 'nonprod' }] }),
          ),
        );
        await trace.step('DeleteTags by key only', () =>
          ec2.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'spokelink:connect' }] })),
        );
        await trace.step('DeleteTags of a key the resource does not have', () =>
          ec2.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'absent' }] })),
        );
        await trace.step(
          'DescribeVpcs tags after the deletes',
          () => ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
          (o) => tagMap(o.Vpcs?.[0]?.Tags),
        );
        await trace.step('DeleteTags without Tags (every tag)', () =>
          ec2.send(new DeleteTagsCommand({ Resources: [subnetId] })),
        );
        await trace.step(
          'DescribeTags of the subnet after deleting every tag',
          () => ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [subnetId] }] })),
          (o) => rows(o.Tags),
        );
        await trace.step('CreateTags on a VPC that does not exist', () =>
          ec2.send(new CreateTagsCommand({ Resources: ['vpc-0aaaaaaaaaaaaaaaa'], Tags: [{ Key: 'a', Value: 'b' }] })),
        );
      },
      known,
    );
    expect(stepOf(twin, 'DescribeTags of the subnet after deleting every tag')?.result).toEqual([]);
    // Same on both: a Value that does not match keeps the tag, and the empty value is kept as "".
    expect(stepOf(twin, 'DescribeVpcs tags after the mismatched delete')?.result).toEqual({
      Empty: '',
      'spokelink:connect': 'true',
      'spokelink:segment': 'nonprod',
    });
  });

  it('applies the tag restrictions: 50 tags, 128-character keys, 256-character values, the aws: prefix', async () => {
    const restrictions = 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions';
    const known: KnownDifference[] = [
      {
        step: 'CreateTags value of 257 characters',
        why: 'Tag values are at most 256 Unicode characters: the twin refuses (InvalidParameterValue); moto stores it.',
        awsDoc: restrictions,
      },
      {
        step: 'CreateTags key of 129 characters',
        why: 'Tag keys are at most 128 Unicode characters: the twin refuses (InvalidParameterValue); moto stores it.',
        awsDoc: restrictions,
      },
      {
        step: 'CreateTags key with the aws: prefix',
        why: 'The aws: prefix is reserved for AWS use: the twin refuses; moto stores it.',
        awsDoc: restrictions,
      },
      {
        step: 'CreateTags key with the AWS: prefix in capitals',
        why: 'AWS reserves "aws:, AWS:, or any upper or lowercase combination" as a prefix: the twin refuses; moto stores it.',
        awsDoc: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-ecs-service-tag.html',
      },
      {
        step: 'DescribeTags keys after the restrictions',
        why: 'Consequence of the four steps above: moto kept the refused tags.',
        awsDoc: restrictions,
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.71.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        await trace.step('CreateTags 50 tags', () =>
          ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: many(50) })),
        );
        await trace.step('CreateTags a 51st tag', () =>
          ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'one-more', Value: 'v' }] })),
        );
        await trace.step('CreateTags overwriting one of the 50', () =>
          ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'k7', Value: 'changed' }] })),
        );
        await trace.step(
          'DescribeTags count after the limit',
          () => ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [vpcId] }] })),
          (o) => ({ count: o.Tags?.length, k7: o.Tags?.find((t) => t.Key === 'k7')?.Value }),
        );
        const fresh = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.72.0.0/16' }));
        const freshId = fresh.Vpc?.VpcId ?? 'vpc-missing';
        await trace.step('CreateTags 51 tags in one request', () =>
          ec2.send(new CreateTagsCommand({ Resources: [freshId], Tags: many(51) })),
        );
        await trace.step('CreateTags value of 256 characters', () =>
          ec2.send(new CreateTagsCommand({ Resources: [freshId], Tags: [{ Key: 'long', Value: 'v'.repeat(256) }] })),
        );
        await trace.step('CreateTags value of 257 characters', () =>
          ec2.send(new CreateTagsCommand({ Resources: [freshId], Tags: [{ Key: 'longer', Value: 'v'.repeat(257) }] })),
        );
        await trace.step('CreateTags key of 128 characters', () =>
          ec2.send(new CreateTagsCommand({ Resources: [freshId], Tags: [{ Key: 'k'.repeat(128), Value: 'v' }] })),
        );
        await trace.step('CreateTags key of 129 characters', () =>
          ec2.send(new CreateTagsCommand({ Resources: [freshId], Tags: [{ Key: 'k'.repeat(129), Value: 'v' }] })),
        );
        await trace.step('CreateTags key with the aws: prefix', () =>
          ec2.send(new CreateTagsCommand({ Resources: [freshId], Tags: [{ Key: 'aws:owner', Value: 'v' }] })),
        );
        await trace.step('CreateTags key with the AWS: prefix in capitals', () =>
          ec2.send(new CreateTagsCommand({ Resources: [freshId], Tags: [{ Key: 'AWS:owner', Value: 'v' }] })),
        );
        await trace.step(
          'DescribeTags keys after the restrictions',
          () => ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [freshId] }] })),
          (o) => (o.Tags ?? []).map((t) => `${t.Key?.length}:${t.Value?.length}`).sort(),
        );
      },
      known,
    );
    for (const step of known.slice(0, 4).map((k) => k.step)) {
      expect(stepOf(twin, step)?.error).toBe('InvalidParameterValue');
    }
    expect(stepOf(twin, 'DescribeTags keys after the restrictions')?.result).toEqual(['128:1', '4:256']);
    // Same on both: the 51st tag (one at a time or in one request) is TagLimitExceeded.
    expect(stepOf(twin, 'CreateTags a 51st tag')?.error).toBe('TagLimitExceeded');
    expect(stepOf(twin, 'CreateTags 51 tags in one request')?.error).toBe('TagLimitExceeded');
  });
});
