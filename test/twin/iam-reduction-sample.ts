import { iamPolicies, instantiate } from '#local/iam';
import {
  type IamRequest,
  type PolicyDocument,
  type SimulatedPolicies,
  simulateRequest,
  statementsForAction,
} from '#twin/iam';
import { exampleConfig } from '../infra/helpers';

/*
 * The sample of iam-reduction.test.ts (small) and iam-reduction.scale.test.ts (whole). The IAM evaluator simulates a request on the statements of each policy that can apply to its action
 * (`statementsForAction`) once the policies have been simulated whole without error. This file decides a large sample
 * of requests both ways with the simulator and compares every answer: the decision (allowed, explicit deny, implicit
 * deny) or the error, for every action the generated policies name, on resources of the right and the wrong types,
 * with and without the condition values the policies test.
 */

export const HUB = '111111111111';
export const SPOKE = '222222222222';
export const PRINCIPAL = `arn:aws:iam::${HUB}:role/spokelink-fn-dispatch`;
export const ALLOW_ALL: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/** Deny, NotAction, `?` and mixed case: what the generated policies may not exercise. */
export const HANDWRITTEN: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['ec2:Describe*', 'EC2:createTAGS'], Resource: '*' },
    {
      Effect: 'Deny',
      Action: 'ec2:DescribeVpc?',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    },
    {
      Effect: 'Deny',
      NotAction: ['ec2:*', 'route53:*'],
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:PrincipalAccount': HUB } },
    },
    { Effect: 'Allow', NotAction: 'iam:*', Resource: `arn:aws:ec2:*:${HUB}:vpc/*` },
    { Effect: 'Allow', Action: 'route53:*HostedZone', Resource: 'arn:aws:route53:::hostedzone/*' },
    { Effect: 'Deny', Action: 'ec2:*TransitGateway*', NotResource: `arn:aws:ec2:*:${HUB}:transit-gateway/*` },
  ],
};

type Statement = {
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};

export function statements(policy: PolicyDocument): Statement[] {
  return policy.Statement as Statement[];
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function generatedPolicies(): { name: string; policy: PolicyDocument; trust?: boolean }[] {
  const config = exampleConfig();
  const file = iamPolicies();
  const out: { name: string; policy: PolicyDocument; trust?: boolean }[] = [];
  for (const [variant, { functions, spokeRoles }] of Object.entries(file.variants)) {
    for (const [name, policy] of Object.entries(functions)) {
      out.push({ name: `${variant}/${name}`, policy: instantiate(policy, config) });
    }
    for (const [access, { identity, trust }] of Object.entries(spokeRoles)) {
      out.push({ name: `${variant}/spoke-${access}`, policy: instantiate(identity, config, SPOKE) });
      out.push({ name: `${variant}/spoke-${access}-trust`, policy: instantiate(trust, config, SPOKE), trust: true });
    }
  }
  for (const [name, policy] of Object.entries(file.operators)) out.push({ name, policy: instantiate(policy, config) });
  for (const [name, policy] of Object.entries(file.peering)) {
    out.push({ name: `peering/${name}`, policy: instantiate(policy, config) });
  }
  return out;
}

/** Concrete actions (no wildcard) named by the policies, and a few they do not name. */
function actionsOf(policies: PolicyDocument[]): string[] {
  const named = policies.flatMap((p) => statements(p).flatMap((s) => list(s.Action)));
  const concrete = named.filter((a) => a.includes(':') && !/[*?]/.test(a));
  return [...new Set([...concrete, 'ec2:DescribeVpcs', 'ec2:DeleteVpc', 'ec2:CreateTags', 'iam:PassRole'])].sort();
}

/** Resources of the right type (the policies' own, wildcards filled) and of other types, and `*`. */
function resourcesOf(policies: PolicyDocument[], action: string): string[] {
  const service = action.split(':')[0]!;
  const own = policies
    .flatMap((p) =>
      statements(p)
        .filter((s) => list(s.Action).includes(action))
        .flatMap((s) => list(s.Resource)),
    )
    .map((r) => r.replace(/\*/g, 'x1').replace(/\?/g, 'y'));
  const other = [
    `arn:aws:ec2:us-east-1:${HUB}:vpc/vpc-0a1b2c3d4e5f60718`,
    `arn:aws:ec2:us-east-1:${SPOKE}:transit-gateway-attachment/tgw-attach-0a1b2c3d4e5f60718`,
    'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ',
    `arn:aws:iam::${SPOKE}:role/spokelink-spoke`,
    `arn:aws:sns:us-east-1:${HUB}:spokelink-approvals`,
  ].filter((r) => service === 'ec2' || !r.includes(`:${service}:`));
  return [...new Set([...own.slice(0, 2), ...other.slice(0, 1), '*'])];
}

/** The condition values the policies test (each key with its first value), and the same keys with other values. */
function contextsOf(policies: PolicyDocument[]): Record<string, string>[] {
  const matching: Record<string, string> = {};
  for (const s of policies.flatMap(statements)) {
    for (const block of Object.values(s.Condition ?? {})) {
      for (const [key, value] of Object.entries(block)) {
        const first = list(value as string | string[])[0];
        if (typeof first === 'string' && !(key in matching)) matching[key] = first.replace(/\*/g, 'x1');
      }
    }
  }
  const other = Object.fromEntries(Object.keys(matching).map((k) => [k, 'spokelink-other']));
  return [{}, matching, other];
}

async function answer(principal: string, policies: SimulatedPolicies, request: IamRequest): Promise<unknown> {
  const result = await simulateRequest(principal, policies, request);
  return result.resultType === 'error' ? { error: result.errors } : result.overallResult;
}

function reduced(policies: SimulatedPolicies, action: string): SimulatedPolicies {
  return {
    identity: policies.identity.map((p) => statementsForAction(p, action)),
    session: policies.session && statementsForAction(policies.session, action),
    trust: policies.trust && statementsForAction(policies.trust, action),
  };
}

/**
 * Decides the sample both ways and compares every answer. `policyStride`: every policy of the generated files
 * (1, the scale tier) or every n-th (and the hand-written one always).
 */
export async function compareReductionSample(policyStride: number): Promise<{ compared: number }> {
  const generated = generatedPolicies().filter((_, i) => i % policyStride === 0);
  const all = [...generated, { name: 'handwritten', policy: HANDWRITTEN }];
  const policies = all.map((p) => p.policy);
  const actions = actionsOf(policies);
  const contexts = contextsOf(policies);
  const outcomes = new Map<string, number>();
  let compared = 0;
  let removedShare = 0;
  let shapesCompared = 0;
  for (const [p, { name, policy, trust }] of all.entries()) {
    const shapes: SimulatedPolicies[] = trust
      ? [{ identity: [ALLOW_ALL], session: undefined, trust: policy }]
      : [
          { identity: [policy], session: undefined, trust: undefined },
          // As a session policy (every third policy, to keep the sample's time in bounds).
          ...(p % 3 === 0 ? [{ identity: [ALLOW_ALL, HANDWRITTEN], session: policy, trust: undefined }] : []),
        ];
    // A third of its own actions (a different third for each policy), and every 25th of the others.
    const own = new Set(actionsOf([policy]).filter((_, i) => (i + p) % 3 === 0));
    const sample = trust ? ['sts:AssumeRole'] : actions.filter((a, i) => own.has(a) || i % 25 === 0);
    for (const action of sample) {
      for (const shape of shapes) {
        const small = reduced(shape, action);
        const before = [...shape.identity, shape.session, shape.trust].flatMap((p) => (p ? statements(p) : []));
        const after = [...small.identity, small.session, small.trust].flatMap((p) => (p ? statements(p) : []));
        removedShare += (before.length - after.length) / before.length;
        shapesCompared += 1;
        for (const resource of trust
          ? [`arn:aws:iam::${SPOKE}:role/spokelink-spoke`, '*']
          : resourcesOf(policies, action)) {
          for (const context of contexts) {
            const request: IamRequest = { action, resource, resourceAccount: trust ? SPOKE : HUB, context };
            const whole = await answer(PRINCIPAL, shape, request);
            const part = await answer(PRINCIPAL, small, request);
            expect({ name, request, answer: part }).toEqual({ name, request, answer: whole });
            const kind = typeof whole === 'string' ? whole : 'error';
            outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
            compared += 1;
          }
        }
      }
    }
  }
  // The sample reaches every kind of answer, and the reduction removed most statements.
  expect([...outcomes.keys()].sort()).toEqual(['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied', 'error']);
  expect(removedShare / shapesCompared).toBeGreaterThan(0.5);
  return { compared };
}
