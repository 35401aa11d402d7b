import { DEFAULT_BUCKETS } from '#twin/throttle';
import { type BoundInputs, lowerBound } from '../../bench/lower-bound';
import { type BulkWorld, bulkWorld } from '../../bench/worlds';

// The bench's lower bound counts what any correct implementation must do. In the hub's EC2 describe bucket that is
// one read per VPC, after its attachment's association can be `associated` (bench/lower-bound.ts argues why); not the
// reads spokelink happens to make, so the bound of a day does not move when the code reads more or less.

const inputs: BoundInputs = {
  attachmentPendingMs: [60_000, 300_000],
  lastTagMs: 60_000,
  ramShareVisibilityMs: 30_000,
  route53ChangeMs: 2_000,
  profileAssociationMs: 30_000,
  associationMs: 5_000,
  buckets: DEFAULT_BUCKETS,
};

function profileDay(accounts: number): BulkWorld {
  const base = bulkWorld({ accounts, vpcsPerAccount: 10 });
  return { ...base, config: { ...base.config, dns: { ...base.config.dns, mode: 'profile' } } };
}

describe('Lower bound: the hub reads a correct onboarding needs', () => {
  it('counts one association read per VPC in the hub describe bucket, from the shortest pending time and the association', () => {
    const bound = lowerBound(profileDay(100), inputs);
    const reads = bound.terms.find((t) => t.name === 'hub ec2:describe')!;
    expect(reads.calls).toBe(1_000);
    expect(reads.earliestSeconds).toBe(60 + 5);
    // 100 at once from the burst, then 20 per second.
    expect(reads.seconds).toBe(65 + (1_000 - 100) / 20);
  });

  it('leaves the 1,000-VPC profile day bound by the hub mutating bucket (594 s): the reads do not bind there', () => {
    const bound = lowerBound(profileDay(100), inputs);
    expect(bound.binding).toBe('hub ec2:mutating');
    expect(bound.seconds).toBe(594);
  });

  it('binds where the reads are the scarcest: a hub describe bucket of 1 per second', () => {
    const buckets = { ...DEFAULT_BUCKETS, 'ec2:describe': { burst: 10, refillPerSecond: 1 } };
    const bound = lowerBound(profileDay(10), { ...inputs, buckets });
    expect(bound.binding).toBe('hub ec2:describe');
    expect(bound.seconds).toBe(65 + (100 - 10) / 1);
  });
});
