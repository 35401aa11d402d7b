import { EC2Client, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-ec2';
import type { Pluggable } from '@smithy/types';
import { twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

/** A twin of one account holding a TGW (and its route tables) in each of several regions, on fake timers. */

export const HUB = '111111111111';
const START = Date.parse('2026-03-01T00:00:00Z');

export function regionalTgwTwin(role: string, tgws: { id: string; region: string; tables: string[] }[]): Twin {
  jest.useFakeTimers({
    now: START,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
  const world = parseWorld({
    version: 1,
    organization: { id: 'o-exampleorg1', managementAccountId: '999999999999', accounts: [{ id: HUB, name: 'net' }] },
    iam: { principals: [role] },
    ec2: {
      vpcs: [],
      transitGateways: tgws.map(({ id, region, tables }) => ({
        id,
        ownerId: HUB,
        region,
        options: {
          autoAcceptSharedAttachments: 'disable',
          defaultRouteTableAssociation: 'disable',
          defaultRouteTablePropagation: 'disable',
        },
        routeTables: tables.map((t) => ({ id: t })),
      })),
    },
  });
  return createTwin(world, { timings: { attachmentPendingMs: 90_000, attachmentDeletingMs: 60_000 } });
}

/** EC2 as `role` in `region`: the client's region is the twin's region. */
export function ec2In(twin: Twin, role: string, region: string): EC2Client {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role);
  const client = new EC2Client({ region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  client.middlewareStack.use(twinPlugin(twin) as Pluggable<ServiceInputTypes, ServiceOutputTypes>);
  return client;
}

export const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);
