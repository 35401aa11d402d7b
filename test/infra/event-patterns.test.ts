import { Match } from 'aws-cdk-lib/assertions';
import { REQUEST_TAG_KEYS, STATUS_TAG_KEYS } from '#shared/tags';
import {
  ACCEPTED_DETAIL_TYPES,
  ACCEPTED_SOURCES,
  INTAKE_EVENT_PATTERNS,
  TAG_CHANGE_PATTERN,
  VPC_LIFECYCLE_PATTERN,
} from '../../infra/event-patterns';
import { exampleHubTemplate, exampleSpokeTemplate, matches } from './helpers';

const VPC_ARN = 'arn:aws:ec2:us-east-1:222222222222:vpc/vpc-0123456789abcdef0';

function tagEvent(changedKeys: string[], overrides: Record<string, unknown> = {}) {
  return {
    version: '0',
    source: 'aws.tag',
    'detail-type': 'Tag Change on Resource',
    account: '222222222222',
    region: 'us-east-1',
    resources: [VPC_ARN],
    detail: {
      'changed-tag-keys': changedKeys,
      service: 'ec2',
      'resource-type': 'vpc',
      version: 3,
      tags: { 'spokelink:connect': 'true' },
      ...overrides,
    },
  };
}

function cloudTrailEvent(eventName: string, extra: Record<string, unknown> = {}) {
  return {
    source: 'aws.ec2',
    'detail-type': 'AWS API Call via CloudTrail',
    account: '222222222222',
    region: 'us-east-1',
    detail: { eventSource: 'ec2.amazonaws.com', eventName, requestParameters: {}, ...extra },
  };
}

describe('Event pattern: tag changes', () => {
  it.each(REQUEST_TAG_KEYS)('matches a VPC tag change that touches the request key %s', (key) => {
    expect(matches(TAG_CHANGE_PATTERN, tagEvent([key]))).toBe(true);
  });

  it('matches when a request key changes together with status keys', () => {
    expect(matches(TAG_CHANGE_PATTERN, tagEvent(['spokelink:status', 'spokelink:services']))).toBe(true);
  });

  it('matches the removal of spokelink:connect (removed keys are listed as changed)', () => {
    const event = tagEvent(['spokelink:connect'], { tags: { Name: 'app' } });
    expect(matches(TAG_CHANGE_PATTERN, event)).toBe(true);
  });

  it('does not match a status-only change, so the workflow never triggers itself', () => {
    expect(matches(TAG_CHANGE_PATTERN, tagEvent([...STATUS_TAG_KEYS]))).toBe(false);
    for (const key of STATUS_TAG_KEYS) expect(matches(TAG_CHANGE_PATTERN, tagEvent([key]))).toBe(false);
  });

  it('does not match changes of unrelated tags', () => {
    expect(matches(TAG_CHANGE_PATTERN, tagEvent(['Name', 'CostCenter']))).toBe(false);
  });

  it('does not match the same keys on a subnet or on another service', () => {
    expect(matches(TAG_CHANGE_PATTERN, tagEvent(['spokelink:connect'], { 'resource-type': 'subnet' }))).toBe(false);
    expect(matches(TAG_CHANGE_PATTERN, tagEvent(['spokelink:connect'], { service: 's3' }))).toBe(false);
  });

  it('lists exactly the request keys of the tag contract', () => {
    expect([...TAG_CHANGE_PATTERN.detail['changed-tag-keys']].sort()).toEqual([...REQUEST_TAG_KEYS].sort());
    for (const key of STATUS_TAG_KEYS) {
      expect(TAG_CHANGE_PATTERN.detail['changed-tag-keys']).not.toContain(key);
    }
  });
});

describe('Event pattern: VPC lifecycle (CloudTrail)', () => {
  it('matches successful CreateVpc and DeleteVpc calls', () => {
    const created = cloudTrailEvent('CreateVpc', { responseElements: { vpc: { vpcId: 'vpc-1' } } });
    expect(matches(VPC_LIFECYCLE_PATTERN, created)).toBe(true);
    expect(matches(VPC_LIFECYCLE_PATTERN, cloudTrailEvent('DeleteVpc'))).toBe(true);
  });

  it('does not match failed calls', () => {
    const failed = cloudTrailEvent('CreateVpc', { errorCode: 'VpcLimitExceeded' });
    expect(matches(VPC_LIFECYCLE_PATTERN, failed)).toBe(false);
  });

  it('does not match other EC2 calls (tags are covered by the tag event)', () => {
    expect(matches(VPC_LIFECYCLE_PATTERN, cloudTrailEvent('CreateTags'))).toBe(false);
    expect(matches(VPC_LIFECYCLE_PATTERN, cloudTrailEvent('CreateSubnet'))).toBe(false);
  });

  it('does not let a tag event through, nor a CloudTrail event through the tag pattern', () => {
    expect(matches(VPC_LIFECYCLE_PATTERN, tagEvent(['spokelink:connect']))).toBe(false);
    expect(matches(TAG_CHANGE_PATTERN, cloudTrailEvent('CreateVpc'))).toBe(false);
  });
});

describe('Event patterns in the stacks', () => {
  it('gives the hub intake rules exactly the exported patterns', () => {
    const template = exampleHubTemplate();
    for (const pattern of Object.values(INTAKE_EVENT_PATTERNS)) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: Match.anyValue(),
        EventPattern: Match.exact(JSON.parse(JSON.stringify(pattern))),
      });
    }
  });

  it('forwards exactly the same patterns from the spoke default bus', () => {
    const template = exampleSpokeTemplate();
    const rules = template.findResources('AWS::Events::Rule');
    const patterns = Object.values(rules).map((rule) => rule.Properties.EventPattern);
    expect(patterns).toEqual(
      expect.arrayContaining(Object.values(INTAKE_EVENT_PATTERNS).map((p) => JSON.parse(JSON.stringify(p)))),
    );
    expect(patterns).toHaveLength(Object.keys(INTAKE_EVENT_PATTERNS).length);
    for (const rule of Object.values(rules)) expect(rule.Properties.EventBusName).toBeUndefined();
  });

  it('accepts on the hub bus only the sources and detail types of the patterns', () => {
    expect([...ACCEPTED_SOURCES].sort()).toEqual(['aws.ec2', 'aws.tag']);
    expect([...ACCEPTED_DETAIL_TYPES].sort()).toEqual(['AWS API Call via CloudTrail', 'Tag Change on Resource']);
  });
});
