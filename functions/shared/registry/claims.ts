import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { cidrsOverlap, claimBucketOf } from '../cidr';
import { ClaimContentionError, LeaseLostError, RejectedError } from '../errors';
import { logger } from '../logger';
import { putIfVersion } from './conditional';
import type { RegistryTable } from './table';

const claimKey = (bucket: string) => ({ pk: `CIDR#${bucket}`, sk: 'CLAIMS' });

// ---- CIDR claims ---------------------------------------------------------------------------------------------------

export interface ClaimEntry {
  cidrs: string[];
  accountId: string;
  /** The lease token of the execution that wrote the entry (fenced writes): no older holder may change it. */
  leaseToken?: number;
}

export interface ClaimBucket {
  bucket: string;
  /** 0 when the item does not exist yet. */
  version: number;
  claims: Record<string, ClaimEntry>;
}

export interface Overlap {
  cidr: string;
  otherVpcId: string;
  otherAccountId: string;
  otherCidr: string;
}

/** Reads one claim bucket (strongly consistent). */
export async function readClaimBucket(table: RegistryTable, bucket: string): Promise<ClaimBucket> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: claimKey(bucket), ConsistentRead: true }),
  );
  return {
    bucket,
    version: Item ? Number(Item.version) : 0,
    claims: (Item?.claims as Record<string, ClaimEntry> | undefined) ?? {},
  };
}

/** The distinct claim buckets of `cidrs`, sorted. */
export function bucketsOf(cidrs: readonly string[]): string[] {
  return [...new Set(cidrs.map(claimBucketOf))].sort();
}

/** Overlaps between `cidrs` of `vpcId` and the claims of OTHER VPCs in `buckets`. */
export function findOverlaps(vpcId: string, cidrs: readonly string[], buckets: readonly ClaimBucket[]): Overlap[] {
  const out: Overlap[] = [];
  for (const bucket of buckets) {
    for (const [otherVpcId, entry] of Object.entries(bucket.claims)) {
      if (otherVpcId === vpcId) continue;
      for (const cidr of cidrs) {
        for (const otherCidr of entry.cidrs) {
          if (cidrsOverlap(cidr, otherCidr)) out.push({ cidr, otherVpcId, otherAccountId: entry.accountId, otherCidr });
        }
      }
    }
  }
  return out;
}

/** Reads the claims of every bucket `cidrs` fall in and returns the overlaps with other VPCs (no write). */
export async function overlapsInRegistry(table: RegistryTable, vpcId: string, cidrs: readonly string[]) {
  const buckets = await Promise.all(bucketsOf(cidrs).map((b) => readClaimBucket(table, b)));
  return findOverlaps(vpcId, cidrs, buckets);
}

/** The rejection for an overlap with another VPC of the registry. */
export function overlapRejection(vpcId: string, overlap: Overlap): RejectedError {
  return new RejectedError(
    `cidr-overlap: ${vpcId} CIDR ${overlap.cidr} overlaps ${overlap.otherCidr} of ${overlap.otherVpcId} ` +
      `(account ${overlap.otherAccountId}), already in the registry`,
    'cidr-overlap',
  );
}

const sameEntry = (a: ClaimEntry | undefined, b: ClaimEntry | undefined) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Writes `claims[vpcId] = entry` (or removes it) conditioned on the version read; false when the version moved. */
function writeClaim(
  table: RegistryTable,
  bucket: ClaimBucket,
  vpcId: string,
  entry: ClaimEntry | undefined,
): Promise<boolean> {
  const claims = { ...bucket.claims };
  if (entry) claims[vpcId] = entry;
  else delete claims[vpcId];
  return putIfVersion(
    table,
    { ...claimKey(bucket.bucket), kind: 'claims', bucket: bucket.bucket, claims },
    bucket.version,
  );
}

const MAX_CLAIM_ATTEMPTS = 8;

/**
 * Claims `cidrs` for `vpcId` in the registry, race-free against other VPCs claiming at the same moment (see the
 * module comment), and drops the VPC's claims in buckets of `previousCidrs` it no longer uses. Idempotent: claims
 * that already hold the same value are not rewritten. Throws RejectedError(`cidr-overlap`) after undoing the claims
 * this call wrote, or ClaimContentionError when a bucket keeps changing under it.
 */
export async function claimCidrs(
  table: RegistryTable,
  args: { vpcId: string; accountId: string; cidrs: string[]; previousCidrs?: string[] },
): Promise<{ buckets: string[] }> {
  const { vpcId } = args;
  const mine = bucketsOf(args.cidrs);
  const dropped = bucketsOf(args.previousCidrs ?? []).filter((b) => !mine.includes(b));
  const written: { bucket: string; previous: ClaimEntry | undefined }[] = [];

  for (const name of [...mine, ...dropped].sort()) {
    const entry: ClaimEntry | undefined = mine.includes(name)
      ? {
          cidrs: args.cidrs.filter((c) => claimBucketOf(c) === name).sort(),
          accountId: args.accountId,
          ...(table.fence ? { leaseToken: table.fence.token } : {}),
        }
      : undefined;
    let done = false;
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS && !done; attempt++) {
      const bucket = await readClaimBucket(table, name);
      // Fenced like the VPC's record: an entry a newer lease holder wrote is never changed by an older one (the write
      // below is conditioned on the bucket version read here, so the check and the write see the same entry).
      const stamped = bucket.claims[vpcId]?.leaseToken;
      if (table.fence && stamped !== undefined && stamped > table.fence.token) {
        await undoClaims(table, vpcId, written);
        throw new LeaseLostError(
          `${vpcId}: its CIDR claims in ${name} were written under a newer lease (token ${stamped} > ` +
            `${table.fence.token}); nothing written`,
        );
      }
      if (entry) {
        const overlaps = findOverlaps(vpcId, entry.cidrs, [bucket]);
        if (overlaps.length > 0) {
          await undoClaims(table, vpcId, written);
          throw overlapRejection(vpcId, overlaps[0]!);
        }
      }
      const previous = bucket.claims[vpcId];
      if (sameEntry(previous, entry)) {
        done = true;
      } else if (await writeClaim(table, bucket, vpcId, entry)) {
        written.push({ bucket: name, previous });
        done = true;
      }
    }
    if (!done) {
      await undoClaims(table, vpcId, written);
      throw new ClaimContentionError(`CIDR claim bucket ${name} kept changing; retry`);
    }
  }
  return { buckets: mine };
}

/** Restores the claims this execution wrote (best effort: a leftover claim only makes later checks stricter). */
async function undoClaims(
  table: RegistryTable,
  vpcId: string,
  written: { bucket: string; previous: ClaimEntry | undefined }[],
): Promise<void> {
  for (const { bucket: name, previous } of written) {
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      try {
        if (await writeClaim(table, await readClaimBucket(table, name), vpcId, previous)) break;
      } catch (error) {
        logger.error('could not undo a CIDR claim', { vpcId, bucket: name, error });
        break;
      }
    }
  }
}
