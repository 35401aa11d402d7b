import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfigFile, regionalConfig } from '#shared/config';
import { configDigest, configText } from '#shared/env';
import { hubBusArn, readSettings } from '../../infra/config';
import { buildSpokelinkApp } from '../../infra/spokelink-app';
import { EXAMPLE_CONFIG_PATH, exampleConfig, newApp, REPO, violations } from './helpers';

function withConfigFile(edit: (raw: Record<string, unknown>) => void, run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'spokelink-config-'));
  try {
    const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'));
    edit(raw);
    const path = join(dir, 'hub.json');
    writeFileSync(path, JSON.stringify(raw));
    run(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('CDK app', () => {
  it('reads the example configuration and the repository folders by default', () => {
    const settings = readSettings(newApp({ functionsDir: undefined, stateMachinesDir: undefined }).node);
    expect(settings).toEqual({
      configPath: join(REPO, 'config', 'example.hub.json'),
      functionsDir: join(REPO, 'functions'),
      stateMachinesDir: join(REPO, 'statemachines'),
      stackSetAccount: undefined,
    });
  });

  it('builds the hub, spoke and StackSet stacks, named from the prefix, in the hub account and region', () => {
    withConfigFile(
      (raw) => {
        raw.prefix = 'netlink';
      },
      (config) => {
        const { hub, spoke, stackSet } = buildSpokelinkApp(newApp({ config }));
        expect([hub.stackName, spoke.stackName, stackSet.stackName]).toEqual([
          'netlink-hub',
          'netlink-spoke',
          'netlink-spoke-stackset',
        ]);
        expect([hub.account, hub.region]).toEqual(['111111111111', 'us-east-1']);
        expect([stackSet.account, stackSet.region]).toEqual(['111111111111', 'us-east-1']);
        Template.fromStack(hub).hasResourceProperties('AWS::Events::EventBus', { Name: 'netlink-hub' });
        Template.fromStack(hub).hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'netlink-intake' });
      },
    );
  });

  it('deploys one hub stack per served region, each serving its region, cdk-nag clean', () => {
    const config = join(REPO, 'config', 'example-two-regions.hub.json');
    const { hub, hubs, spoke } = buildSpokelinkApp(newApp({ config }));
    expect(Object.keys(hubs)).toEqual(['us-east-1', 'eu-west-1']);
    expect(hubs['us-east-1']).toBe(hub);
    const eu = hubs['eu-west-1']!;
    expect([hub.stackName, eu.stackName]).toEqual(['spokelink-hub-use1', 'spokelink-hub-euw1']);
    expect([eu.account, eu.region]).toEqual(['111111111111', 'eu-west-1']);
    const euTemplate = Template.fromStack(eu);
    // IAM is global: the regional hubs' function roles have names of their own.
    euTemplate.hasResourceProperties('AWS::IAM::Role', { RoleName: 'spokelink-fn-intake-euw1' });
    Template.fromStack(hub).hasResourceProperties('AWS::IAM::Role', { RoleName: 'spokelink-fn-intake-use1' });
    // The eu-west-1 functions read the eu-west-1 hub (its TGW) from the same configuration.
    const fn = Object.values(euTemplate.findResources('AWS::Lambda::Function'))[0]!;
    const variables = fn.Properties.Environment.Variables as Record<string, string>;
    const euView = regionalConfig(loadConfigFile(config), 'eu-west-1');
    expect(euView.hub.transitGatewayId).toBe('tgw-0e1b2c3d4e5f60719');
    expect(variables.SPOKELINK_CONFIG_SHA256).toBe(configDigest(configText(euView)));
    // The spoke roles trust the function roles of both regional hubs.
    const trust = JSON.stringify(Template.fromStack(spoke).findResources('AWS::IAM::Role'));
    expect(trust).toContain('role/spokelink-fn-validate-use1');
    expect(trust).toContain('role/spokelink-fn-validate-euw1');
    for (const stack of Object.values(hubs)) {
      expect(violations(stack)).toEqual([]);
    }
  });

  /** The app of the example configuration, built and synthesized once for the tests that only read it. */
  let exampleApp: ReturnType<typeof buildSpokelinkApp> | undefined;
  const exampleStacks = () => {
    exampleApp ??= buildSpokelinkApp(newApp());
    return exampleApp;
  };

  it('points the spoke rules at the hub bus of the configuration', () => {
    const config = exampleConfig();
    const { spoke } = exampleStacks();
    expect(hubBusArn(config)).toBe('arn:aws:events:us-east-1:111111111111:event-bus/spokelink-hub');
    Template.fromStack(spoke).hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: hubBusArn(config) })],
    });
  });

  it('deploys the StackSet from the management account when stackSetAccount is given', () => {
    const { stackSet } = buildSpokelinkApp(newApp({ stackSetAccount: '999999999999' }));
    expect(stackSet.account).toBe('999999999999');
    Template.fromStack(stackSet).hasResourceProperties('AWS::CloudFormation::StackSet', { CallAs: 'SELF' });
  });

  it('uses the delegated administrator call when the StackSet stays in the hub account', () => {
    const { stackSet } = exampleStacks();
    Template.fromStack(stackSet).hasResourceProperties('AWS::CloudFormation::StackSet', {
      CallAs: 'DELEGATED_ADMIN',
    });
  });

  it('fails the synth with the invalid field named when the configuration is wrong', () => {
    withConfigFile(
      (raw) => {
        (raw.hub as Record<string, unknown>).transitGatewayId = 'tgw-nope';
      },
      (config) => {
        expect(() => buildSpokelinkApp(newApp({ config }))).toThrow(
          /hub\.transitGatewayId: must be a Transit Gateway id/,
        );
      },
    );
  });

  it('rejects a stackSetAccount that is not an account id', () => {
    expect(() => buildSpokelinkApp(newApp({ stackSetAccount: 'management' }))).toThrow(
      /"stackSetAccount" must be a 12-digit account id/,
    );
  });

  it('names the missing workflow sources when the folders are not ready', () => {
    const empty = mkdtempSync(join(tmpdir(), 'spokelink-empty-'));
    try {
      expect(() => buildSpokelinkApp(newApp({ stateMachinesDir: empty }))).toThrow(
        /onboard\.asl\.json is missing: the intake starts it[\s\S]*offboard\.asl\.json is missing/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
