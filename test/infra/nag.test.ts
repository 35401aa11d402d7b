import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { wildcardFindings } from '../../infra/constructs/nag';
import { buildSpokelinkApp } from '../../infra/spokelink-app';
import { newApp } from './helpers';

function violations(scope: IConstruct): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.map((v) => `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath)}`),
  );
}

/** Every acknowledgement recorded under `scope`: rule id -> reason. */
function acknowledgements(scope: IConstruct): [string, string][] {
  return scope.node
    .findAll()
    .flatMap((node) => node.node.metadata)
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
    .map(([id, reason]): [string, string] => [id.replace(/^annotation::/i, ''), reason]);
}

describe('cdk-nag', () => {
  it.each(['hub', 'spoke', 'stackSet'] as const)(
    'finds no unacknowledged AwsSolutions or Serverless violation in the %s stack',
    (which) => {
      const stacks = buildSpokelinkApp(newApp());
      Template.fromStack(stacks[which]);
      expect(violations(stacks[which])).toEqual([]);
    },
  );

  it('acknowledges only named rules, each with a specific reason', () => {
    const stacks = buildSpokelinkApp(newApp());
    const acks = [...acknowledgements(stacks.hub), ...acknowledgements(stacks.spoke)];
    expect(acks.length).toBeGreaterThan(10);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
      expect(reason.split(/\s+/).length).toBeGreaterThanOrEqual(5);
    }
    // IAM wildcards are acknowledged finding by finding, never the whole rule at once.
    expect(acks.map(([id]) => id)).not.toContain('AwsSolutions-IAM5');
  });

  it('still reports a wildcard that permissions.ts does not document', () => {
    const documents = [
      {
        Statement: [
          { Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: '*' },
          { Effect: 'Allow', Action: 'ec2:CreateVpc', Resource: '*' },
          { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
        ],
      },
    ];
    expect(wildcardFindings(documents)).toEqual([]);
  });

  it('explains each documented wildcard finding with its reason', () => {
    const documents = [
      {
        Statement: [
          { Effect: 'Allow', Action: ['ec2:DescribeVpcs', 'ec2:DescribeSubnets'], Resource: '*' },
          { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/spokelink-spoke' },
        ],
      },
    ];
    expect(wildcardFindings(documents)).toEqual([
      {
        id: 'Resource::*',
        reason: expect.stringMatching(/^ec2:DescribeSubnets, ec2:DescribeVpcs: EC2 Describe\* actions do not support/),
      },
      { id: 'Resource::arn:aws:iam::*:role/spokelink-spoke', reason: expect.stringMatching(/spoke execution role/) },
    ]);
  });
});
