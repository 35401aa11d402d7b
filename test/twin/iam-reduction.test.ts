import {
  IamEvaluator,
  type IamRequest,
  type PolicyDocument,
  resourceTypeMemoInstalled,
  simulateRequest,
  statementsForAction,
} from '#twin/iam';
import { compareReductionSample, HANDWRITTEN, HUB, PRINCIPAL } from './iam-reduction-sample';

/*
 * The IAM evaluator simulates a request on the statements of each policy that can apply to its action
 * (`statementsForAction`) once the policies have been simulated whole without error. Here a sample of requests is
 * decided both ways with the simulator and every answer compared (./iam-reduction-sample.ts; the whole sample, every
 * generated policy, in iam-reduction.scale.test.ts), and the reduction's own rules are checked.
 */
describe('statementsForAction: the reduced policies decide every request as the whole ones', () => {
  it('every 30th generated policy and the hand-written one, as identity, session and trust policies (all of them: the scale tier)', async () => {
    const { compared } = await compareReductionSample(30);
    expect(compared).toBeGreaterThan(200);
  });

  it('keeps statements it cannot read, every NotAction statement, and the policy itself when all apply', () => {
    const odd: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'ec2:CreateVpc', Resource: '*' },
        { Effect: 'Allow', Action: [42], Resource: '*' },
        { Effect: 'Deny', NotAction: 'ec2:CreateVpc', Resource: '*' },
        { Effect: 'Allow', Resource: '*' },
      ],
    };
    expect(statementsForAction(odd, 'ec2:DeleteVpc').Statement).toEqual(odd.Statement.slice(1));
    expect(statementsForAction(odd, 'ec2:CreateVpc')).toBe(odd);
    expect(statementsForAction(HANDWRITTEN, 'ec2:createtags').Statement).toEqual(
      HANDWRITTEN.Statement.filter((_, i) => i === 0 || i === 2 || i === 3),
    );
  });
});

describe('IamEvaluator: a malformed statement fails every request, whatever its action', () => {
  it('the first simulation of a set of policies runs on them whole, and a set that failed is never reduced', async () => {
    const policy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: '*' },
        { Effect: 'Permit', Action: 'ec2:DeleteVpc', Resource: '*' },
      ],
    };
    const evaluator = new IamEvaluator({ identityPolicies: (arn) => (arn === PRINCIPAL ? [policy] : undefined) });
    const request: IamRequest = { action: 'ec2:DescribeVpcs', resource: '*', resourceAccount: HUB, context: {} };
    for (const context of [{}, { 'aws:RequestedRegion': 'us-east-1' }] as Record<string, string>[]) {
      await expect(evaluator.simulatePrincipal(PRINCIPAL, { ...request, context })).rejects.toThrow(/policy\.errors/);
    }
  });

  it('a valid set decides the same before and after its first simulation', async () => {
    const evaluator = new IamEvaluator({ identityPolicies: (arn) => (arn === PRINCIPAL ? [HANDWRITTEN] : undefined) });
    const vpc = `arn:aws:ec2:us-east-1:${HUB}:vpc/vpc-0a1b2c3d4e5f60718`;
    const decisions: unknown[] = [];
    for (const [action, resource, region] of [
      ['ec2:DescribeVpcs', '*', 'us-east-1'],
      ['ec2:DescribeVpcs', '*', 'eu-west-1'],
      ['ec2:DeleteVpc', vpc, 'us-east-1'],
      ['iam:PassRole', `arn:aws:iam::${HUB}:role/x`, 'us-east-1'],
    ] as const) {
      decisions.push(
        await evaluator.simulatePrincipal(PRINCIPAL, {
          action,
          resource,
          resourceAccount: HUB,
          context: { 'aws:RequestedRegion': region },
        }),
      );
    }
    // iam:PassRole: the NotAction deny applies (aws:PrincipalAccount is absent, so StringNotEquals holds).
    expect(decisions).toEqual(['allowed', 'explicitDeny', 'allowed', 'explicitDeny']);
  });
});

describe("the simulator's resource-type lookup, memoized", () => {
  it('is installed over the module iam-simulate reads it from (an upgrade that moves it fails here)', () => {
    expect(resourceTypeMemoInstalled).toBe(true);
  });

  it('decides a resource of each kind the same on first and repeated lookups', async () => {
    const identity: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: `arn:aws:ec2:*:${HUB}:vpc/*` },
        { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: `arn:aws:ec2:*:${HUB}:subnet/subnet-0a*` },
      ],
    };
    const decide = async (resource: string) => {
      const result = await simulateRequest(
        PRINCIPAL,
        { identity: [identity], session: undefined, trust: undefined },
        { action: 'ec2:CreateTags', resource, resourceAccount: HUB, context: {} },
      );
      return result.resultType === 'error' ? result.errors : result.overallResult;
    };
    const resources = [
      `arn:aws:ec2:us-east-1:${HUB}:vpc/vpc-0a1b2c3d4e5f60718`,
      `arn:aws:ec2:us-east-1:${HUB}:subnet/subnet-0a1b2c3d4e5f60718`,
      `arn:aws:ec2:us-east-1:${HUB}:subnet/subnet-0b1b2c3d4e5f60718`,
      `arn:aws:ec2:us-east-1:${HUB}:route-table/rtb-0a1b2c3d4e5f60718`,
    ];
    const expected = ['Allowed', 'Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied'];
    for (const round of [1, 2]) {
      const answers = [];
      for (const r of resources) answers.push(await decide(r));
      expect({ round, answers }).toEqual({ round, answers: expected });
    }
  });
});
