import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { RAMClient } from '@aws-sdk/client-ram';
import { Route53Client } from '@aws-sdk/client-route-53';
import { STSClient } from '@aws-sdk/client-sts';
import { twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

/** moto's default account: scenarios run as a principal of it on both sides. */
export const MOTO_ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface Clients {
  ec2: EC2Client;
  route53: Route53Client;
  ram: RAMClient;
  sts: STSClient;
  organizations: OrganizationsClient;
  iam: IAMClient;
}

export interface Target {
  kind: 'twin' | 'moto';
  clients: Clients;
  twin?: Twin;
}

/** One observation of a scenario: what a call returned (the part a scenario looks at) or the error code. */
export interface Observation {
  step: string;
  result?: unknown;
  error?: string;
}

/** A scenario named two steps alike: steps are compared by name, so each must be unique. */
export class DuplicateStepError extends Error {
  override name = 'DuplicateStepError';
  constructor(step: string) {
    super(`step "${step}" is recorded twice in one scenario`);
  }
}

export class Tracer {
  readonly observations: Observation[] = [];

  /** Runs a call, records `pick(output)` or the AWS error name, returns the output (undefined on error). */
  async step<T>(
    step: string,
    call: () => Promise<T>,
    pick: (output: T) => unknown = () => 'ok',
  ): Promise<T | undefined> {
    if (this.observations.some((o) => o.step === step)) throw new DuplicateStepError(step);
    try {
      const output = await call();
      this.observations.push({ step, result: pick(output) });
      return output;
    } catch (error) {
      this.observations.push({ step, error: (error as Error).name });
      return undefined;
    }
  }
}

/** Credentials a scenario got (from STS AssumeRole) and wants to call with. */
export interface ScenarioCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * What a scenario may ask of its target besides calls. `advance(ms)` lets time pass: on the twin it moves the twin's
 * clock (asynchronous states such as a TGW attachment's `pending` progress lazily from it); moto has no clock (its
 * resources are in their final state at once), so there it does nothing. `clientsFor(credentials)` gives clients of the
 * same target that sign with other credentials (an assumed role). A scenario never learns which target it runs on.
 */
export interface ScenarioEnv {
  advance(ms: number): void;
  clientsFor(credentials: ScenarioCredentials): Clients;
}

export type Scenario = (clients: Clients, trace: Tracer, env: ScenarioEnv) => Promise<void>;

/** Extra world sections for the twin side (only where moto creates the same thing through an API call, see callers). */
export type TwinWorldExtra = Record<string, unknown>;

const TESTER = `arn:aws:iam::${MOTO_ACCOUNT}:user/tester`;

interface ClientConfig {
  region: string;
  credentials: ScenarioCredentials;
  maxAttempts: number;
  endpoint?: string;
}

function makeClients(config: ClientConfig, twin?: Twin): Clients {
  const clients: Clients = {
    ec2: new EC2Client(config),
    route53: new Route53Client(config),
    ram: new RAMClient(config),
    sts: new STSClient(config),
    organizations: new OrganizationsClient(config),
    iam: new IAMClient(config),
  };
  if (twin) for (const client of Object.values(clients)) client.middlewareStack.use(twinPlugin(twin));
  return clients;
}

function iamSection(value: unknown): { principals: string[]; roles: unknown[] } {
  const iam = (typeof value === 'object' && value !== null ? value : {}) as { principals?: unknown; roles?: unknown };
  return {
    principals: Array.isArray(iam.principals) ? iam.principals.filter((p): p is string => typeof p === 'string') : [],
    roles: Array.isArray(iam.roles) ? iam.roles : [],
  };
}

/**
 * A twin seeded with moto's account and one principal (`user/tester`), so the same scenario runs on both; throttling
 * off. `world` adds world sections (e.g. `ec2.endpointServices`; `iam` roles and principals are added to the tester).
 * The twin's clock is the real clock plus what `advance` added.
 */
export function twinTarget(world: TwinWorldExtra = {}): Target & { env: ScenarioEnv } {
  const { iam, ...rest } = world;
  const extraIam = iamSection(iam);
  const twin = createTwin(
    parseWorld({
      version: 1,
      ...rest,
      iam: { principals: [TESTER, ...extraIam.principals], roles: extraIam.roles },
    }),
    { throttling: false },
  );
  let offsetMs = 0;
  twin.now = () => Date.now() + offsetMs;
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(TESTER);
  const config = (credentials: ScenarioCredentials): ClientConfig => ({ region: REGION, credentials, maxAttempts: 1 });
  return {
    kind: 'twin',
    clients: makeClients(config({ accessKeyId, secretAccessKey }), twin),
    twin,
    env: {
      advance(ms: number) {
        offsetMs += ms;
      },
      clientsFor: (credentials) => makeClients(config(credentials), twin),
    },
  };
}

/** Clients of moto's server (account 123456789012 for these keys); `env.advance` does nothing there. */
export function motoTarget(endpoint: string): Target & { env: ScenarioEnv } {
  const config = (credentials: ScenarioCredentials): ClientConfig => ({
    region: REGION,
    endpoint,
    credentials,
    maxAttempts: 1,
  });
  return {
    kind: 'moto',
    clients: makeClients(config({ accessKeyId: 'AKIAMOTOTESTER000001', secretAccessKey: 'moto' })),
    env: {
      advance: () => undefined,
      clientsFor: (credentials) => makeClients(config(credentials)),
    },
  };
}

const ID_PATTERNS: RegExp[] = [
  /\b(?:vpc|subnet|rtb|rtbassoc|sg|sgr|igw|tgw|tgw-attach|tgw-rtb|vpce|vpce-svc|vpc-cidr-assoc|eni|acl|dopt)-[0-9a-f]{8,17}\b/g,
  /\barn:aws:ram:[a-z0-9-]+:\d{12}:resource-share(?:-invitation)?\/[0-9a-f-]{36}\b/g,
  // Organizations: organization, root and OU ids.
  /\b(?:o-[a-z0-9]{10,32}|r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32})\b/g,
];

/**
 * Route 53 ids have no fixed shape (the twin's start with Z, moto's do not): a zone or change id is recognised where
 * it appears (`/hostedzone/ID`, `/change/ID`, `"HostedZoneId":"ID"`), then replaced wherever it occurs.
 */
const ROUTE53_ID_CONTEXT = /(\/hostedzone\/|\/change\/|"HostedZoneId":")([0-9A-Z]{8,32})(?![0-9A-Za-z])/g;

function normalizeRoute53(text: string): string {
  const kinds = new Map<string, 'Z' | 'C'>();
  for (const m of text.matchAll(ROUTE53_ID_CONTEXT)) {
    const id = m[2]!;
    if (!kinds.has(id)) kinds.set(id, m[1] === '/change/' ? 'C' : 'Z');
  }
  if (kinds.size === 0) return text;
  const counters = { Z: 0, C: 0 };
  const seen = new Map<string, string>();
  const any = new RegExp(`(?<![0-9A-Za-z])(${[...kinds.keys()].join('|')})(?![0-9A-Za-z])`, 'g');
  return text.replace(any, (id) => {
    let placeholder = seen.get(id);
    if (!placeholder) {
      const kind = kinds.get(id)!;
      counters[kind] += 1;
      placeholder = `${kind}-#${counters[kind]}`;
      seen.set(id, placeholder);
    }
    return placeholder;
  });
}

/** Replaces generated ids by placeholders in order of first appearance (`vpc-#1`), so two runs compare. */
export function normalize(observations: Observation[]): Observation[] {
  const seen = new Map<string, string>();
  const counters = new Map<string, number>();
  let out = normalizeRoute53(JSON.stringify(observations));
  for (const pattern of ID_PATTERNS) {
    out = out.replace(pattern, (id) => {
      let placeholder = seen.get(id);
      if (!placeholder) {
        const prefix = id.startsWith('arn:')
          ? id.split(':')[5]!.split('/')[0]!
          : /^(?:o|r|ou)-/.test(id)
            ? id.split('-')[0]!
            : id.replace(/-[0-9a-f]+$/, '');
        const n = (counters.get(prefix) ?? 0) + 1;
        counters.set(prefix, n);
        placeholder = `${prefix}-#${n}`;
        seen.set(id, placeholder);
      }
      return placeholder;
    });
  }
  return JSON.parse(out) as Observation[];
}

export interface CompareOptions {
  /** World sections for the twin side. */
  twinWorld?: TwinWorldExtra;
  /** Calls made on moto before the scenario (the twin side gets the same through `twinWorld`); not traced. */
  motoSetup?: (clients: Clients) => Promise<void>;
}

/** Runs one scenario on the twin and on moto; returns both normalized traces. */
export async function compareScenario(scenario: Scenario, motoEndpoint: string, options: CompareOptions = {}) {
  const twinSide = twinTarget(options.twinWorld);
  const twinTrace = new Tracer();
  await scenario(twinSide.clients, twinTrace, twinSide.env);
  const motoSide = motoTarget(motoEndpoint);
  await options.motoSetup?.(motoSide.clients);
  const motoTrace = new Tracer();
  await scenario(motoSide.clients, motoTrace, motoSide.env);
  return { twin: normalize(twinTrace.observations), moto: normalize(motoTrace.observations) };
}

/**
 * Steps where twin and moto differ on purpose, each with the AWS documentation that says the twin is right.
 * A comparison test asserts that the traces differ in exactly these steps, so a new divergence fails the build.
 */
export interface KnownDifference {
  step: string;
  why: string;
  awsDoc: string;
  /**
   * The twin is the one that is wrong per `awsDoc`: the test pins the twin's current (wrong) answer so the fix shows up
   * as a failing test to flip. Absent: moto is wrong or the difference is deliberate.
   */
  twinDefect?: true;
}

/** The observation of `step` in a trace (a scenario names each step once). */
export function stepOf(trace: Observation[], step: string): Observation | undefined {
  return trace.find((o) => o.step === step);
}

/** The steps (in order of first appearance in either trace) whose observations are not identical. */
export function differingSteps(a: Observation[], b: Observation[]): string[] {
  const steps = new Set([...a.map((o) => o.step), ...b.map((o) => o.step)]);
  return [...steps].filter((step) => {
    const x = a.find((o) => o.step === step);
    const y = b.find((o) => o.step === step);
    return JSON.stringify(x) !== JSON.stringify(y);
  });
}
