/**
 * Per-account, per-region token buckets, as AWS documents API throttling: a bucket holds up to `burst` tokens, each
 * request takes one, and `refillPerSecond` tokens come back each second. An empty bucket answers with the service's
 * throttling error. Refill is computed from the clock on each take, so a virtual clock drives it too.
 */
export interface BucketSpec {
  burst: number;
  refillPerSecond: number;
}

/** Published rates (../shared/reference/aws-facts.md); every one is overridable per twin. */
export const DEFAULT_BUCKETS: Record<string, BucketSpec> = {
  // EC2 (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html)
  'ec2:describe': { burst: 100, refillPerSecond: 20 },
  'ec2:describe-unfiltered': { burst: 50, refillPerSecond: 10 },
  'ec2:mutating': { burst: 50, refillPerSecond: 5 },
  'ec2:AuthorizeSecurityGroupIngress': { burst: 50, refillPerSecond: 5 },
  'ec2:RevokeSecurityGroupIngress': { burst: 50, refillPerSecond: 5 },
  'ec2:CreateTags': { burst: 100, refillPerSecond: 10 },
  'ec2:DeleteTags': { burst: 100, refillPerSecond: 10 },
  'ec2:AcceptVpcEndpointConnections': { burst: 10, refillPerSecond: 1 },
  'ec2:ModifyVpcEndpointServiceConfiguration': { burst: 10, refillPerSecond: 1 },
  'ec2:CreateVpcEndpoint': { burst: 4, refillPerSecond: 0.3 },
  // Route 53 (Route 53 developer guide, API request throttling): account-wide bucket plus a per-action one.
  'route53:account': { burst: 50, refillPerSecond: 10 },
  'route53:AssociateVPCWithHostedZone': { burst: 20, refillPerSecond: 5 },
  // Per-action buckets besides the account bucket
  // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html).
  'route53:DisassociateVPCFromHostedZone': { burst: 10, refillPerSecond: 5 },
  'route53:CreateHostedZone': { burst: 40, refillPerSecond: 2 },
  'route53:DeleteHostedZone': { burst: 40, refillPerSecond: 5 },
  // Route 53 Profiles: AWS publishes no request rate (the quotas page lists entity quotas only). A stated twin
  // figure, per account and region for every Profiles call, as for the other Route 53 resolver-side APIs.
  'route53profiles:account': { burst: 10, refillPerSecond: 5 },
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class Throttler {
  private readonly buckets = new Map<string, Bucket>();
  readonly specs: Record<string, BucketSpec>;
  enabled = true;

  constructor(overrides: Record<string, BucketSpec> = {}) {
    this.specs = { ...DEFAULT_BUCKETS, ...overrides };
  }

  /** Takes one token from each named bucket (all or nothing). False when any is empty: the call is throttled. */
  take(accountId: string, region: string, bucketNames: readonly string[], now: number): boolean {
    if (!this.enabled) return true;
    const buckets: Bucket[] = [];
    for (const name of bucketNames) {
      const spec = this.specs[name];
      if (!spec) continue;
      const key = `${accountId}/${region}/${name}`;
      let bucket = this.buckets.get(key);
      if (!bucket) {
        bucket = { tokens: spec.burst, updatedAt: now };
        this.buckets.set(key, bucket);
      }
      const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
      bucket.tokens = Math.min(spec.burst, bucket.tokens + elapsed * spec.refillPerSecond);
      bucket.updatedAt = now;
      if (bucket.tokens < 1) return false;
      buckets.push(bucket);
    }
    for (const bucket of buckets) bucket.tokens -= 1;
    return true;
  }

  reset(): void {
    this.buckets.clear();
  }
}
