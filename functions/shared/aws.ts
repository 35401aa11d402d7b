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
import { Route53ProfilesClient } from '../../sdk/client-route53profiles';
import { type HubConfig, type SpokeAccess, spokeRoleName } from './config';
import { BoundedContainerCache, containerCache } from './container-cache';
import { isAwsError, SpokeAccessError } from './errors';

/**
 * SDK clients, built once per container and reused across invocations. Hub clients use the function's own role;
 * spoke clients use the spoke execution role, assumed with the external id. The local twin (and only it) installs a
 * client plugin here so that the very same clients are answered locally.
 */

// biome-ignore lint/suspicious/noExplicitAny: a plugin applies to clients of every service.
type AnyPluggable = Pluggable<any, any>;

let plugins: AnyPluggable[] = [];
const cache = containerCache<string, unknown>();
/**
 * Spoke sessions (credentials and their clients) a container keeps: one per account for reads and one per VPC for
 * writes, so a container that serves a migration day would otherwise keep thousands (each with its clients, a few
 * hundred KB) for their hour. Kept: the 1,000 used last (the sessions of every execution in flight at the sizing
 * README recommends, with room), each while it is used at least every 10 minutes (an execution's longest wait
 * between two steps is a Retry back-off of at most 10 minutes); one forgotten is assumed again when needed.
 */
export const SPOKE_SESSIONS = { max: 1_000, idleMs: 10 * 60_000 } as const;
const sessions = new BoundedContainerCache<string, SpokeSession>(SPOKE_SESSIONS.max, SPOKE_SESSIONS.idleMs);
/** Spoke sessions being assumed (concurrent first uses share one AssumeRole). */
const assuming = containerCache<string, Promise<SpokeSession>>();

/** Local runs only: routes every client created from now on through `plugin` (the twin). Clears the caches. */
export function useClientPlugin(plugin: AnyPluggable | undefined): void {
  plugins = plugin ? [plugin] : [];
  cache.clear();
  sessions.clear();
  assuming.clear();
}

/** Forgets cached clients and spoke credentials (tests, credential rotation). */
export function resetClients(): void {
  cache.clear();
  sessions.clear();
  assuming.clear();
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

/** Settings of every client: retries are the SDK's standard mode (3 attempts), the workflow retries beyond. */
const base = (region: string) => ({ region, maxAttempts: 3 });

/*
 * One factory per service, each building its client on first use and caching it for the container. A handler that
 * imports only the factories it needs gets only those SDK clients in its bundle (esbuild drops the others): the
 * EC2 client alone is over half a megabyte minified.
 */

/** EC2 as the hub function's own role, in `region`. */
export const hubEc2 = (region: string): EC2Client =>
  cached(`hub/ec2/${region}`, () => configure(new EC2Client(base(region))));
/** Route 53 (global: its endpoint is in us-east-1) as the hub function's role. */
export const hubRoute53 = (region: string): Route53Client =>
  cached(`hub/route53/${region}`, () => configure(new Route53Client({ ...base(region), region: 'us-east-1' })));
/** Route 53 Profiles (regional) as the hub function's role. */
export const hubRoute53Profiles = (region: string): Route53ProfilesClient =>
  cached(`hub/route53profiles/${region}`, () => configure(new Route53ProfilesClient(base(region))));
/** RAM as the hub function's role. */
export const hubRam = (region: string): RAMClient =>
  cached(`hub/ram/${region}`, () => configure(new RAMClient(base(region))));
/** STS as the hub function's role. */
export const hubSts = (region: string): STSClient =>
  cached(`hub/sts/${region}`, () => configure(new STSClient(base(region))));
/** Organizations (its endpoint is in us-east-1) as the hub function's role. */
export const hubOrganizations = (region: string): OrganizationsClient =>
  cached(`hub/organizations/${region}`, () =>
    configure(new OrganizationsClient({ ...base(region), region: 'us-east-1' })),
  );
/** Step Functions as the hub function's role. */
export const hubSfn = (region: string): SFNClient =>
  cached(`hub/sfn/${region}`, () => configure(new SFNClient(base(region))));
/** SNS as the hub function's role. */
export const hubSns = (region: string): SNSClient =>
  cached(`hub/sns/${region}`, () => configure(new SNSClient(base(region))));
/** The registry's DynamoDB document client as the hub function's role. */
export const hubDynamo = (region: string): DynamoDBDocumentClient =>
  cached(`hub/dynamo/${region}`, () =>
    DynamoDBDocumentClient.from(configure(new DynamoDBClient(base(region))), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );

/** The factory of each hub client `hubClients` gives, by name. */
const HUB_FACTORIES = {
  ec2: hubEc2,
  route53: hubRoute53,
  ram: hubRam,
  sts: hubSts,
  organizations: hubOrganizations,
  sfn: hubSfn,
  sns: hubSns,
  dynamo: hubDynamo,
} as const;

export type HubClients = { readonly [K in keyof typeof HUB_FACTORIES]: ReturnType<(typeof HUB_FACTORIES)[K]> };

/**
 * Every hub client, each built on first use (a getter per client, calling its factory). Bundles every SDK client into
 * the function that imports it: prefer the per-service factories (`hubEc2`, `hubDynamo`, ...) in new code.
 */
export function hubClients(region: string): HubClients {
  const clients = {};
  for (const [name, factory] of Object.entries(HUB_FACTORIES)) {
    Object.defineProperty(clients, name, { get: () => factory(region), enumerable: true, configurable: true });
  }
  return clients as HubClients;
}

export interface SpokeClients {
  accountId: string;
  region: string;
  ec2: EC2Client;
  route53: Route53Client;
  ram: RAMClient;
}

interface SpokeSession {
  credentials: AwsCredentialIdentity;
  expiresAt: number;
  clients: Map<string, unknown>;
}

/** Renew spoke credentials this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * What a spoke session is for: `read` (the read-only role, describes only) or `write` for one VPC (the read-write
 * role, with a session policy that narrows it to that VPC: `spokeSessionPolicy`).
 */
export type SpokeScope = { readonly access: 'read' } | { readonly access: 'write'; readonly vpcId: string };

const scopeKey = (scope: SpokeScope) => (scope.access === 'read' ? 'read' : `write/${scope.vpcId}`);

/** Actions the session policy narrows to the VPC; every other action of the role is left as the role allows it. */
const VPC_SCOPED_ACTIONS = [
  'ec2:CreateRoute',
  'ec2:DeleteRoute',
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'ec2:CreateTransitGatewayVpcAttachment',
  'ec2:CreateVpcEndpoint',
  'ec2:CreateSecurityGroup',
  'route53profiles:AssociateProfile',
  'route53profiles:DisassociateProfile',
];

/**
 * The session policy of a write session for one VPC (AssumeRole `Policy`: the session gets the intersection with
 * the role's policy, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
 * Routes only in the VPC's route tables (`ec2:Vpc`, supported by the route-table and subnet resource types), tags
 * only on this VPC and on attachments, attachments only of this VPC (its own subnets) to the hub TGW. What it cannot
 * narrow (Describe*, RAM invitations, Route 53 associations: no VPC condition key) is left to the role's policy.
 */
export function spokeSessionPolicy(config: HubConfig, accountId: string, region: string, vpcId: string): string {
  const own = (type: string, id = '*') => `arn:aws:ec2:${region}:${accountId}:${type}/${id}`;
  const vpcArn = own('vpc', vpcId);
  const { hub } = config;
  const tgwArn = `arn:aws:ec2:${hub.region}:${hub.accountId}:transit-gateway/${hub.transitGatewayId}`;
  // IfExists: every existing route table and subnet carries ec2:Vpc, so this is no looser; a deleted one carries
  // none, and EC2 then answers its NotFound error (what the workflow handles, e.g. VpcNotFoundError) instead of a denial.
  const inVpc = { ArnEqualsIfExists: { 'ec2:Vpc': vpcArn } };
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Unscoped', Effect: 'Allow', NotAction: VPC_SCOPED_ACTIONS, Resource: '*' },
      {
        Sid: 'RoutesOfThisVpc',
        Effect: 'Allow',
        Action: ['ec2:CreateRoute', 'ec2:DeleteRoute'],
        Resource: own('route-table'),
        Condition: inVpc,
      },
      {
        Sid: 'TagsOfThisVpc',
        Effect: 'Allow',
        Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
        // Local endpoints and their groups too: the role allows tagging them only at creation (ec2:CreateAction).
        Resource: [vpcArn, own('transit-gateway-attachment'), own('vpc-endpoint'), own('security-group')],
      },

      {
        // Attachments, and local endpoints with their groups (spoke placement), only of this VPC: each call requires
        // the vpc resource. (The session policy has a 2,048-character limit: statements are shared where they can be.)
        Sid: 'AttachThisVpc',
        Effect: 'Allow',
        Action: ['ec2:CreateTransitGatewayVpcAttachment', 'ec2:CreateVpcEndpoint', 'ec2:CreateSecurityGroup'],
        Resource: [tgwArn, vpcArn, own('transit-gateway-attachment'), own('vpc-endpoint'), own('security-group')],
      },
      {
        // Route 53 Profiles: only this VPC (route53profiles:ResourceIds, the VPC the call associates). The actions
        // have no resource type, so no policy can name the Profile: the code associates the hub's Profile only.
        Sid: 'ProfileOfThisVpc',
        Effect: 'Allow',
        Action: ['route53profiles:AssociateProfile', 'route53profiles:DisassociateProfile'],
        Resource: '*',
        Condition: { StringEquals: { 'route53profiles:ResourceIds': vpcId } },
      },
      {
        Sid: 'SubnetsOfThisVpc',
        Effect: 'Allow',
        Action: ['ec2:CreateTransitGatewayVpcAttachment', 'ec2:CreateVpcEndpoint'],
        Resource: own('subnet'),
        Condition: inVpc,
      },
    ],
  });
}

/**
 * A spoke role's session in `accountId` for `scope` (assumed with the external id, cached until shortly before it
 * expires). Throws SpokeAccessError when the role cannot be assumed (not deployed, trust or external id wrong): a
 * business error the workflow reports, never retried blindly.
 */
async function spokeSession(
  config: HubConfig,
  accountId: string,
  region: string,
  scope: SpokeScope,
): Promise<SpokeSession> {
  const key = `spoke/${accountId}/${region}/${scopeKey(scope)}`;
  const hit = sessions.get(key, Date.now());
  if (hit && hit.expiresAt - RENEW_BEFORE_MS > Date.now()) return hit;
  // Concurrent first uses share one AssumeRole.
  const pending = assuming.get(key);
  if (pending) return pending;
  const promise = assumeSpokeRole(config, accountId, region, scope, key).finally(() => assuming.delete(key));
  assuming.set(key, promise);
  return promise;
}

async function assumeSpokeRole(
  config: HubConfig,
  accountId: string,
  region: string,
  scope: SpokeScope,
  key: string,
): Promise<SpokeSession> {
  const access: SpokeAccess = scope.access;
  const roleArn = `arn:aws:iam::${accountId}:role/${spokeRoleName(config, access)}`;
  let credentials: AwsCredentialIdentity;
  try {
    const { Credentials } = await hubSts(config.hub.region).send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: `${config.prefix}-hub`,
        ExternalId: config.spokeRole.externalId,
        DurationSeconds: 3600,
        Policy: scope.access === 'write' ? spokeSessionPolicy(config, accountId, region, scope.vpcId) : undefined,
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
  const session: SpokeSession = {
    credentials,
    expiresAt: credentials.expiration?.getTime() ?? Date.now() + 3_600_000,
    clients: new Map(),
  };
  sessions.set(key, session, Date.now());
  return session;
}

async function spokeClient<T>(
  config: HubConfig,
  accountId: string,
  region: string,
  scope: SpokeScope,
  service: string,
  make: (settings: { region: string; credentials: AwsCredentialIdentity; maxAttempts: number }) => T,
): Promise<T> {
  const session = await spokeSession(config, accountId, region, scope);
  let client = session.clients.get(service) as T | undefined;
  if (client === undefined) {
    client = make({ ...base(region), credentials: session.credentials });
    session.clients.set(service, client);
  }
  return client;
}

/** EC2 as the spoke execution role of `accountId` (see `spokeClients` for the errors). */
export const spokeEc2 = (config: HubConfig, accountId: string, region: string, scope: SpokeScope): Promise<EC2Client> =>
  spokeClient(config, accountId, region, scope, 'ec2', (settings) => configure(new EC2Client(settings)));
/** Route 53 (endpoint in us-east-1) as the spoke execution role of `accountId`. */
export const spokeRoute53 = (
  config: HubConfig,
  accountId: string,
  region: string,
  scope: SpokeScope,
): Promise<Route53Client> =>
  spokeClient(config, accountId, region, scope, 'route53', (settings) =>
    configure(new Route53Client({ ...settings, region: 'us-east-1' })),
  );
/** Route 53 Profiles as the spoke execution role of `accountId` (the VPC owner associates a Profile). */
export const spokeRoute53Profiles = (
  config: HubConfig,
  accountId: string,
  region: string,
  scope: SpokeScope,
): Promise<Route53ProfilesClient> =>
  spokeClient(config, accountId, region, scope, 'route53profiles', (settings) =>
    configure(new Route53ProfilesClient(settings)),
  );
/** RAM as the spoke execution role of `accountId`. */
export const spokeRam = (config: HubConfig, accountId: string, region: string, scope: SpokeScope): Promise<RAMClient> =>
  spokeClient(config, accountId, region, scope, 'ram', (settings) => configure(new RAMClient(settings)));

/**
 * Clients acting as the spoke execution role of `accountId`. Throws SpokeAccessError when the role cannot be assumed
 * (not deployed, trust or external id wrong): a business error the workflow reports, never retried blindly.
 * Bundles all three clients: prefer `spokeEc2`, `spokeRoute53`, `spokeRam` in new code.
 */
export async function spokeClients(
  config: HubConfig,
  accountId: string,
  region: string,
  scope: SpokeScope,
): Promise<SpokeClients> {
  const [ec2, route53, ram] = await Promise.all([
    spokeEc2(config, accountId, region, scope),
    spokeRoute53(config, accountId, region, scope),
    spokeRam(config, accountId, region, scope),
  ]);
  return { accountId, region, ec2, route53, ram };
}
