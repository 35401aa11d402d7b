import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeSecurityGroupRulesCommand, EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { DeleteResourceShareCommand, GetResourceSharesCommand, RAMClient } from '@aws-sdk/client-ram';
import { Route53Client } from '@aws-sdk/client-route-53';
import { createLocalHub, type LocalHub, localPlugin } from '#local/hub';
import { type IamPolicies, iamPolicies, localIamModel } from '#local/iam';
import { loadConfigFile } from '#shared/config';
import { loadWorldFile } from '#twin/world';
import type { PreflightClients } from '../../cli/preflight/checks';

/**
 * `spokelink preflight --aws` on the twin: the hub read through the same SDK clients as in AWS (answered by the twin),
 * the function roles checked with iam:SimulatePrincipalPolicy against the policies the CDK app synthesizes.
 */

const CONFIG = 'config/example.hub.json';
const START = Date.UTC(2026, 11, 1, 9, 0, 0);
const ACTION = 'ec2:CreateTransitGatewayRoute';

async function hubWith(policies?: IamPolicies, configPath = CONFIG): Promise<LocalHub> {
  const config = loadConfigFile(configPath);
  const functionsRole = `arn:aws:iam::${config.hub.accountId}:role/${config.prefix}-functions`;
  return createLocalHub({
    config,
    world: loadWorldFile('worlds/example.world.json'),
    startTime: START,
    ...(policies ? { twinOptions: { iam: localIamModel(config, functionsRole, policies) } } : {}),
  });
}

/** SDK clients of a platform engineer of the hub account, answered by the hub's twin. */
function operatorClients(hub: LocalHub): PreflightClients {
  const { accessKeyId, secretAccessKey } = hub.twin.credentialsFor('arn:aws:iam::111111111111:role/platform-admin');
  const options = { region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 };
  const clients = {
    ec2: new EC2Client(options),
    route53: new Route53Client(options),
    ram: new RAMClient(options),
    organizations: new OrganizationsClient(options),
    iam: new IAMClient(options),
  };
  for (const client of Object.values(clients)) client.middlewareStack.use(localPlugin(hub.twin, hub.clock));
  return clients;
}

async function preflight(hub: LocalHub, ...flags: string[]) {
  return preflightOf(hub, CONFIG, ...flags);
}

async function preflightOf(hub: LocalHub, configPath: string, ...flags: string[]) {
  let stdout = '';
  let stderr = '';
  const { run } = await import('../../cli/commands/preflight');
  const code = await run(
    ['--config', configPath, '--aws', ...flags],
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    },
    { clients: () => operatorClients(hub) },
  );
  return { code, stdout, stderr };
}

describe('CLI: spokelink preflight --aws', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('finds the deployed hub ready: every check ok, exit 0', async () => {
    hub = await hubWith();
    const result = await preflight(hub);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const check of [
      'transit-gateway',
      'route-tables',
      'hosted-zones',
      'security-groups',
      'aggregated-ingress',
      'endpoint-services',
      'organization-share',
      'stacksets-trusted-access',
      'function-roles',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`\\n {2}ok {7}${check} `));
    }
    expect(result.stdout).toContain('ready: every check passed');
    // The roles were simulated through the twin's IAM service.
    expect(
      hub.twin.calls.filter((c) => c.service === 'iam' && c.operation === 'SimulatePrincipalPolicy').length,
    ).toBeGreaterThan(10);
  });

  it('names a grant a function role lacks, exit 1', async () => {
    const policies = iamPolicies(true);
    const statements = policies.variants.perAccountShare.functions['transit-gateway']!.Statement as {
      Action?: string | string[];
    }[];
    for (const s of statements) {
      const actions = [s.Action ?? []].flat();
      if (actions.includes(ACTION)) s.Action = actions.filter((a) => a !== ACTION);
    }
    hub = await hubWith(policies);
    const result = await preflight(hub, '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ready: boolean;
      findings: { check: string; ok: boolean; missing: string[] }[];
    };
    expect(report.ready).toBe(false);
    const roles = report.findings.find((f) => f.check === 'function-roles')!;
    expect(roles.ok).toBe(false);
    expect(roles.missing).toHaveLength(1);
    expect(roles.missing[0]).toMatch(
      new RegExp(
        `^transit-gateway: ${ACTION} on .*transit-gateway-route-table/tgw-rtb-0a000000000000001.* \\(implicitDeny\\)$`,
      ),
    );
    expect(report.findings.filter((f) => !f.ok).map((f) => f.check)).toEqual(['function-roles']);
  });

  it('names an aggregated ingress rule the hub stack should have deployed, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spokelink-preflight-aws-'));
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
    raw.segments.prod.aggregatedIngress = ['10.64.0.0/10'];
    const configPath = join(dir, 'hub.json');
    writeFileSync(configPath, JSON.stringify(raw));
    try {
      hub = await hubWith(undefined, configPath);
      expect((await preflightOf(hub, configPath)).stdout).toMatch(/ok {7}aggregated-ingress +3 of 3 aggregated/);
      const ec2 = operatorClients(hub).ec2;
      const { SecurityGroupRules = [] } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: ['sg-0e55e0000000000a2'] }] }),
      );
      const supernet = SecurityGroupRules.find((r) => r.CidrIpv4 === '10.64.0.0/10')!;
      await ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: 'sg-0e55e0000000000a2',
          SecurityGroupRuleIds: [supernet.SecurityGroupRuleId!],
        }),
      );
      const result = await preflightOf(hub, configPath);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/MISSING {2}aggregated-ingress +2 of 3 aggregated ingress rules exist/);
      expect(result.stdout).toContain(
        '- sg-0e55e0000000000a2 tcp 443 from 10.64.0.0/10 (spokelink aggregated-ingress prod: the hub stack deploys it)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a configured endpoint service the hub does not have, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spokelink-preflight-aws-'));
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
    raw.endpointServices['orders-api'] = {
      ...raw.endpointServices['payments-api'],
      serviceId: 'vpce-svc-0d0000000000000ff',
    };
    const configPath = join(dir, 'hub.json');
    writeFileSync(configPath, JSON.stringify(raw));
    try {
      hub = await hubWith(undefined, configPath);
      const result = await preflightOf(hub, configPath);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/MISSING {2}endpoint-services +1 of 2 endpoint services exist/);
      expect(result.stdout).toContain('- vpce-svc-0d0000000000000ff');
      expect(result.stdout).toMatch(/ok {7}security-groups /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the missing RAM share of the TGW with the organization, exit 1', async () => {
    hub = await hubWith();
    const ram = operatorClients(hub).ram;
    const { resourceShares = [] } = await ram.send(
      new GetResourceSharesCommand({ resourceOwner: 'SELF', name: 'spokelink-tgw-organization' }),
    );
    expect(resourceShares).toHaveLength(1);
    await ram.send(new DeleteResourceShareCommand({ resourceShareArn: resourceShares[0]!.resourceShareArn! }));

    const result = await preflight(hub);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /MISSING {2}organization-share +no active RAM share spokelink-tgw-organization \(the hub stack deploys it\)/,
    );
    expect(result.stdout).toContain(
      '- RAM share spokelink-tgw-organization of arn:aws:ec2:us-east-1:111111111111:transit-gateway/tgw-0a1b2c3d4e5f60718 with arn:aws:organizations::999999999999:organization/o-exampleorg1',
    );
    expect(result.stdout).toContain('not ready: 1 check(s) found something missing');
  });
});
