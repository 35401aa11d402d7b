import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { RAMClient } from '@aws-sdk/client-ram';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity, Pluggable } from '@smithy/types';
import type { HubConfig } from './config';
import { isAwsError, SpokeAccessError } from './errors';

/**
 * SDK clients, built once per container and reused across invocations. Hub clients use the function's own role;
 * spoke clients use the spoke execution role, assumed with the external id. The local twin (and only it) installs a
 * client plugin here so that the very same clients are answered locally.
 */

// biome-ignore lint/suspicious/noExplicitAny: a plugin applies to clients of every service.
type AnyPluggable = Pluggable<any, any>;

let plugins: AnyPluggable[] = [];
const cache = new Map<string, unknown>();

/** Local runs only: routes every client created from now on through `plugin` (the twin). Clears the caches. */
export function useClientPlugin(plugin: AnyPluggable | undefined): void {
  plugins = plugin ? [plugin] : [];
  cache.clear();
}

/** Forgets cached clients and spoke credentials (tests, credential rotation). */
export function resetClients(): void {
  cache.clear();
}

interface Configurable {
  middlewareStack: { use(plugin: AnyPluggable): void };
}

function configure<T extends Configurable>(client: T): T {
  for (const plugin of plugins) client.middlewareStack.use(plugin);
  return client;
}

function cached<T>(key: string, make: () => T): T {
  let value = cache.get(key) as T | undefined;
  if (value === undefined) {
    value = make();
    cache.set(key, value);
  }
  return value;
}

export interface HubClients {
  ec2: EC2Client;
  route53: Route53Client;
  ram: RAMClient;
  sts: STSClient;
  organizations: OrganizationsClient;
  sfn: SFNClient;
  sns: SNSClient;
  dynamo: DynamoDBDocumentClient;
}

/** Clients acting as the hub function's own role, in `region`. */
export function hubClients(region: string): HubClients {
  return cached(`hub/${region}`, () => {
    const base = { region, maxAttempts: 3 };
    return {
      ec2: configure(new EC2Client(base)),
      // Route 53 is global; its endpoint lives in us-east-1.
      route53: configure(new Route53Client({ ...base, region: 'us-east-1' })),
      ram: configure(new RAMClient(base)),
      sts: configure(new STSClient(base)),
      organizations: configure(new OrganizationsClient({ ...base, region: 'us-east-1' })),
      sfn: configure(new SFNClient(base)),
      sns: configure(new SNSClient(base)),
      dynamo: DynamoDBDocumentClient.from(configure(new DynamoDBClient(base)), {
        marshallOptions: { removeUndefinedValues: true },
      }),
    };
  });
}

export interface SpokeClients {
  accountId: string;
  region: string;
  ec2: EC2Client;
  route53: Route53Client;
  ram: RAMClient;
}

interface CachedSpoke {
  clients: SpokeClients;
  expiresAt: number;
}

/** Renew spoke credentials this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * Clients acting as the spoke execution role of `accountId`. Throws SpokeAccessError when the role cannot be assumed
 * (not deployed, trust or external id wrong): a business error the workflow reports, never retried blindly.
 */
export async function spokeClients(config: HubConfig, accountId: string, region: string): Promise<SpokeClients> {
  const key = `spoke/${accountId}/${region}`;
  const hit = cache.get(key) as CachedSpoke | undefined;
  if (hit && hit.expiresAt - RENEW_BEFORE_MS > Date.now()) return hit.clients;

  const roleArn = `arn:aws:iam::${accountId}:role/${config.spokeRole.name}`;
  let credentials: AwsCredentialIdentity;
  try {
    const { Credentials } = await hubClients(config.hub.region).sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: `${config.prefix}-hub`,
        ExternalId: config.spokeRole.externalId,
        DurationSeconds: 3600,
      }),
    );
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey)
      throw new Error('AssumeRole returned no credentials');
    credentials = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
      expiration: Credentials.Expiration,
    };
  } catch (error) {
    if (isAwsError(error, 'AccessDenied', 'AccessDeniedException')) {
      throw new SpokeAccessError(
        `cannot assume ${roleArn}: deploy the spoke stack in account ${accountId} (the role, its trust of the hub and the external id)`,
      );
    }
    throw error;
  }
  const base = { region, credentials, maxAttempts: 3 };
  const clients: SpokeClients = {
    accountId,
    region,
    ec2: configure(new EC2Client(base)),
    route53: configure(new Route53Client({ ...base, region: 'us-east-1' })),
    ram: configure(new RAMClient(base)),
  };
  cache.set(key, { clients, expiresAt: credentials.expiration?.getTime() ?? Date.now() + 3_600_000 });
  return clients;
}
