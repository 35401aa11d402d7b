import { IamEvaluator, type IamRequest } from '#twin/iam';

/*
 * IamEvaluator.warm reads the Service Authorization Reference data before a run. Without it the first evaluations
 * of a run read files while other calls were in flight, and the order in which that real IO completed decided the
 * interleaving of the calls: the same seed gave other figures on a loaded machine (a 50-VPC day made 7,398 calls in
 * one run and 7,401 in the next). Jest loads this file's modules afresh, so the data package starts cold here.
 */

// The module object the data package reads through (`require("fs/promises")`): its functions can be spied on.
const fsPromises = jest.requireActual<typeof import('node:fs/promises')>('fs/promises');

const HUB = '111111111111';
const ROLE = `arn:aws:iam::${HUB}:role/spokelink-functions`;
const EC2_TAGGED = { StringEquals: { 'ec2:ResourceTag/team': 'a' } };
const OTHERS = { StringEqualsIfExists: { 'aws:ResourceTag/team': 'a' }, ArnEquals: { 'aws:PrincipalArn': ROLE } };

/** One request per twin service, with a resource of a type of its own and condition keys to look up. */
const REQUESTS: IamRequest[] = [
  ['ec2:CreateTags', `arn:aws:ec2:us-east-1:${HUB}:vpc/vpc-0a1b2c3d4e5f60718`],
  ['ec2:DescribeVpcs', '*'],
  ['route53:AssociateVPCWithHostedZone', 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ'],
  ['route53profiles:AssociateProfile', '*'],
  ['route53profiles:GetProfilePolicy', `arn:aws:route53profiles:us-east-1:${HUB}:profile/rp-0123456789abcdef`],
  ['ram:GetResourceShareAssociations', '*'],
  ['sts:AssumeRole', 'arn:aws:iam::222222222222:role/spokelink-spoke'],
  ['organizations:ListParents', `arn:aws:organizations::${HUB}:account/o-exampleorg1/222222222222`],
  ['states:StartExecution', `arn:aws:states:us-east-1:${HUB}:stateMachine:spokelink-onboard`],
  ['sns:Publish', `arn:aws:sns:us-east-1:${HUB}:spokelink-approvals`],
  ['iam:SimulatePrincipalPolicy', ROLE],
].map(([action, resource]) => ({
  action: action!,
  resource: resource!,
  resourceAccount: HUB,
  context: { 'aws:ResourceTag/team': 'a', 'ec2:ResourceTag/team': 'a', 'route53profiles:ProfileId': 'x' },
}));

describe('IamEvaluator.warm', () => {
  it('reads every file an evaluation of a twin service needs before the run: evaluations then read none', async () => {
    const evaluator = new IamEvaluator({
      identityPolicies: (roleArn) =>
        roleArn === ROLE
          ? [
              {
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: '*', Condition: EC2_TAGGED },
                  { Effect: 'Allow', NotAction: 'ec2:CreateTags', Resource: '*', Condition: OTHERS },
                  {
                    Effect: 'Deny',
                    Action: 'sns:Publish',
                    Resource: '*',
                    Condition: { Bool: { 'aws:ViaAWSService': 'true' } },
                  },
                ],
              },
            ]
          : undefined,
    });
    await evaluator.warm();
    const reads = jest.spyOn(fsPromises, 'readFile');
    try {
      const decisions = [];
      for (const request of REQUESTS) decisions.push(await evaluator.simulatePrincipal(ROLE, request));
      expect(decisions).toEqual(REQUESTS.map(() => 'allowed'));
      // The same requests without the tag: the condition decides (the evaluation really ran).
      const untagged = await evaluator.simulatePrincipal(ROLE, { ...REQUESTS[0]!, context: {} });
      expect(untagged).toBe('implicitDeny');
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });
});
