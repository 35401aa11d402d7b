import { DescribeVpcsCommand, type EC2Client, type Vpc } from '@aws-sdk/client-ec2';
import { IgnoredEventError, isAwsError, SpokeAccessError } from '#shared/errors';
import { getRecord, type RegistryTable } from '#shared/registry';
import { parseRequestTags, StatusTag, type Tags } from '#shared/tags';
import type { VpcRef } from '#shared/vpc-ref';
import type { OffboardPlan } from './contract';

/**
 * PlanOffboarding: what an offboarding execution will remove, decided under the VPC's lease and before anything
 * changes. It reads the VPC as it is now (the event may be old: a VPC tagged to connect again since is not offboarded)
 * and its registry record (the list of what spokelink created). Read-only.
 */

export interface OffboardPlanDeps {
  /** EC2 client of the spoke role (throws SpokeAccessError when the role cannot be assumed). */
  spokeEc2: () => Promise<EC2Client>;
  registry: RegistryTable;
}

/** The VPC as the spoke role sees it now; undefined once it is deleted. */
export async function describeVpc(ec2: EC2Client, vpcId: string): Promise<Vpc | undefined> {
  // A filter, not VpcIds: a deleted VPC is an empty answer rather than InvalidVpcID.NotFound.
  const { Vpcs = [] } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  return Vpcs.find((v) => v.VpcId === vpcId);
}

function tagMap(vpc: Vpc | undefined): Tags {
  const out: Tags = {};
  for (const tag of vpc?.Tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

/** Plans the offboarding of `target`; IgnoredEventError when the VPC asks to connect again. */
export async function planOffboarding(target: VpcRef, deps: OffboardPlanDeps): Promise<OffboardPlan> {
  let vpc: Vpc | undefined;
  let spokeReachable = true;
  try {
    vpc = await describeVpc(await deps.spokeEc2(), target.vpcId);
  } catch (error) {
    if (!(error instanceof SpokeAccessError) && !isAwsError(error, 'AuthFailure', 'UnauthorizedOperation')) throw error;
    // The account left or dropped the spoke stack: the hub side is still cleaned up, the spoke side is reported.
    spokeReachable = false;
  }
  const tags = tagMap(vpc);
  if (vpc && parseRequestTags(tags).action !== 'disconnect') {
    throw new IgnoredEventError(`${target.vpcId} asks to connect again: a newer onboarding decides`);
  }
  const record = await getRecord(deps.registry, target.vpcId);
  const hasRecord = record !== undefined && record.status !== 'disconnected';
  const exists = vpc !== undefined || !spokeReachable;
  const why = !spokeReachable
    ? 'the spoke role cannot be assumed'
    : vpc
      ? 'the VPC no longer asks to connect'
      : 'the VPC was deleted';
  return {
    vpc: { ...target, exists, spokeReachable },
    hasRecord,
    recordStatus: record?.status,
    hasStatusTag: StatusTag.status in tags,
    detail: hasRecord
      ? `offboarding (${why}): removing the routes, zone associations, rules and attachment spokelink created`
      : `disconnected: ${why}; nothing was connected`,
  };
}
