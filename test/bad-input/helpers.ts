import { join } from 'node:path';
import { createLocalHub, type LocalHub, type LocalHubOptions } from '#local/hub';
import { diffSnapshots } from '#twin/twin';
import { loadWorldFile } from '#twin/world';
import { isNamedError } from '../../bench/faults';
import { exampleConfig } from '../../bench/worlds';
import { SIMULATION_TRANSPORT } from '../sdk-path';

export const ROOT = join(__dirname, '..', '..');
export const HUB = '111111111111';
/** A nonprod VPC of an organization account (333333333333) in the example world, with its spoke role. */
export const VPC = 'vpc-0b300000000000001';
export const VPC_ACCOUNT = '333333333333';
export const VPC_ARN = `arn:aws:ec2:us-east-1:${VPC_ACCOUNT}:vpc/${VPC}`;

/** A local hub on the example world (config/example.hub.json, worlds/example.world.json). */
export function exampleHub(options: Partial<LocalHubOptions> = {}): Promise<LocalHub> {
  return createLocalHub({
    config: exampleConfig(),
    world: loadWorldFile(join(ROOT, 'worlds/example.world.json')),
    startTime: Date.UTC(2026, 2, 2, 9, 0, 0),
    sdkTransport: SIMULATION_TRANSPORT,
    ...options,
  });
}

/** The differences between two twin snapshots, leaving out the tags of `vpcIds` (requests and spokelink status). */
export function changesBesidesTags(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  vpcIds: string[],
): string[] {
  const vpcs = (before.ec2 as { vpcs: { id: string }[] }).vpcs;
  const prefixes = vpcIds.map((id) => `ec2.vpcs.${vpcs.findIndex((v) => v.id === id)}.tags`);
  return diffSnapshots(before, after).filter((path) => !prefixes.some((p) => path.startsWith(p)));
}

/** Lambda invocations that ended in an unnamed error (a crash, not a decision). */
export function crashes(hub: LocalHub): string[] {
  return hub.lambdas.invocations
    .filter((i) => i.outcome === 'failed' && !isNamedError(i.error))
    .map((i) => `${i.function} (${i.state ?? 'event'}): ${i.error}`);
}

/** The status tags of a VPC. */
export function statusOf(hub: LocalHub, vpcId: string): { status?: string; detail?: string } {
  const vpc = (hub.twin.snapshot() as { ec2: { vpcs: { id: string; tags: Record<string, string> }[] } }).ec2.vpcs.find(
    (v) => v.id === vpcId,
  );
  return { status: vpc?.tags['spokelink:status'], detail: vpc?.tags['spokelink:detail'] };
}

/** A well-formed "Tag Change on Resource" event for a VPC, to be forged by the tests. */
export function tagEvent(overrides: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff',
    'detail-type': 'Tag Change on Resource',
    source: 'aws.tag',
    account: VPC_ACCOUNT,
    time: '2026-03-02T09:00:00Z',
    region: 'us-east-1',
    resources: [VPC_ARN],
    detail: {
      'changed-tag-keys': ['spokelink:connect'],
      service: 'ec2',
      'resource-type': 'vpc',
      version: 1,
      tags: { 'spokelink:connect': 'true' },
      ...detail,
    },
    ...overrides,
  };
}

/**
 * The registry as a refused request must leave it: every item but the bookkeeping an execution leaves behind even
 * when it changed nothing (a released lease, kept without owner for its token; `STATUS`, who wrote the status last;
 * the hub's slots with none held, made by the first execution that took one).
 */
export async function registryState(hub: LocalHub): Promise<Record<string, unknown>[]> {
  return (await hub.registry()).filter(
    (i) =>
      i.kind !== 'status' &&
      !(i.kind === 'lease' && i.owner === undefined) &&
      !(i.kind === 'intake-slots' && i.running === 0),
  );
}
