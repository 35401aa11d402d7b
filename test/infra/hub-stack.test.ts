import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { registryTableDefinition } from '#local/registry-table';
import { parseConfig, regionalConfig } from '#shared/config';
import { configDigest, configText, HANDLER_ENV_KEYS } from '#shared/env';
import { FUNCTION_SPECS } from '../../infra/permissions';
import { checkEnvironmentSize } from '../../infra/stacks/hub-stack';
import { placeholdersOf } from '../../infra/workflow-sources';
import {
  exampleConfig,
  exampleHubTemplate,
  FIXTURE_STATE_MACHINES,
  flat,
  newHubStack,
  profileConfig,
  REPO,
  twoRegionsConfig,
  twoRegionsHubTemplate,
  withSupernets,
} from './helpers';

function functionNamed(template: Template, name: string): Record<string, unknown> {
  const found = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (fn) => fn.Properties.FunctionName === name,
  );
  if (!found) throw new Error(`no function ${name}`);
  return found.Properties as Record<string, unknown>;
}

describe('Hub stack: event bus', () => {
  it('only accepts PutEvents from the organization, and only forwarded tag and CloudTrail events', () => {
    const template = exampleHubTemplate();
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'spokelink-hub' });
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: { AWS: '*' },
        Condition: {
          StringEquals: {
            'aws:PrincipalOrgID': 'o-exampleorg1',
            'events:source': ['aws.tag', 'aws.ec2'],
            'events:detail-type': ['Tag Change on Resource', 'AWS API Call via CloudTrail'],
          },
        },
      },
    });
  });

  it('names each external account explicitly, since they fail the organization condition', () => {
    const config = exampleConfig({
      organization: {
        id: 'o-exampleorg1',
        spokeOrganizationalUnits: ['ou-ab12-wkld0001'],
        externalAccounts: ['555555555555', '666666666666'],
      },
    });
    const template = Template.fromStack(newHubStack({ config }));
    for (const account of ['555555555555', '666666666666']) {
      template.hasResourceProperties('AWS::Events::EventBusPolicy', {
        Statement: {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Condition: { StringEquals: Match.objectLike({ 'events:source': ['aws.tag', 'aws.ec2'] }) },
        },
      });
    }
    template.resourceCountIs('AWS::Events::EventBusPolicy', 3);
  });

  it('never lets an unconditioned wildcard principal in', () => {
    const template = exampleHubTemplate();
    for (const policy of Object.values(template.findResources('AWS::Events::EventBusPolicy'))) {
      const statement = policy.Properties.Statement;
      if (JSON.stringify(statement.Principal).includes('"*"')) {
        expect(statement.Condition?.StringEquals?.['aws:PrincipalOrgID']).toBe('o-exampleorg1');
      }
    }
  });

  it('sends bus events to the intake with a dead-letter queue, retries and a maximum event age', () => {
    const template = exampleHubTemplate();
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventBusName: { Ref: Match.stringLikeRegexp('HubBus') } },
    });
    expect(Object.keys(rules)).toHaveLength(2);
    for (const rule of Object.values(rules)) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [expect.stringMatching(/^IntakeStepFunction/), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^IntakeDeliveryDlq/), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ]);
    }
  });

  it('sends failed asynchronous intake invocations to an on-failure queue', () => {
    const template = exampleHubTemplate();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^IntakeStepFunction') },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IntakeFailureQueue'), 'Arn'] } },
      },
    });
  });

  it('encrypts every dead-letter queue and refuses plain-text access to it', () => {
    const template = exampleHubTemplate();
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues).length).toBeGreaterThanOrEqual(4);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    }
    for (const [id] of Object.entries(queues)) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

describe('Hub stack: functions', () => {
  it('builds one function per referenced step, named from the prefix', () => {
    const template = exampleHubTemplate();
    const names = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((fn) => fn.Properties.FunctionName)
      .sort();
    expect(names).toEqual(
      Object.keys(FUNCTION_SPECS)
        .map((name) => `spokelink-${name}`)
        .sort(),
    );
  });

  it('gives every function the house defaults: arm64, nodejs24.x, explicit memory and timeout, tracing, own logs', () => {
    const template = exampleHubTemplate();
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        MemorySize: expect.any(Number),
        Timeout: expect.any(Number),
      });
      const logGroup = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(logGroups[logGroup]?.Properties.RetentionInDays).toBe(90);
    }
    expect(functionNamed(template, 'spokelink-reconcile')).toMatchObject({ MemorySize: 512, Timeout: 300 });
    expect(functionNamed(template, 'spokelink-validate')).toMatchObject({ MemorySize: 256, Timeout: 30 });
  });

  it('gives every function the configuration and the names it needs in its environment', () => {
    const config = exampleConfig();
    const template = exampleHubTemplate();
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const variables = fn.Properties.Environment.Variables;
      // The configuration travels in the package (bundling writes configText(config) there, bundling.test.ts): the
      // environment names the file and the digest of exactly the validated configuration, descriptions included.
      expect(variables.SPOKELINK_CONFIG_FILE).toBe('/var/task/spokelink-config.json');
      expect(variables.SPOKELINK_CONFIG_SHA256).toBe(configDigest(configText(config)));
      expect(parseConfig(JSON.parse(configText(config)))).toEqual(config);
      expect(JSON.stringify(variables)).not.toContain('AWS Systems Manager');
      expect(variables).toMatchObject({
        REGISTRY_TABLE_NAME: { Ref: expect.stringMatching(/^Registry/) },
        POWERTOOLS_SERVICE_NAME: 'spokelink',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ONBOARD_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-onboard',
        OFFBOARD_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-offboard',
        APPROVAL_TOPIC_ARN: { Ref: expect.stringMatching(/^ApprovalTopic/) },
        NODE_OPTIONS: '--enable-source-maps',
      });
      // Exactly the handler environment's one list (plus Node's options): nothing set under another name.
      expect(Object.keys(variables).sort()).toEqual([...HANDLER_ENV_KEYS, 'NODE_OPTIONS'].sort());
    }
  });

  it('keeps every environment well under 4 KB, whatever the configuration: two regions, a large catalog', () => {
    const raw = JSON.parse(readFileSync(join(REPO, 'config', 'example.hub.json'), 'utf8'));
    const endpoints: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) endpoints[`svc${i}`] = { ...raw.endpoints.ssm, description: 'x'.repeat(100) };
    const large = parseConfig({ ...raw, endpoints });
    const twoRegions = twoRegionsConfig();
    // The two-region example alone is about 4 KB of JSON: what SPOKELINK_CONFIG once carried did not fit.
    expect(configText(twoRegions).length).toBeGreaterThan(3_500);
    const templates = [
      Template.fromStack(newHubStack({ config: large })),
      twoRegionsHubTemplate(),
      Template.fromStack(newHubStack({ config: regionalConfig(twoRegions, 'eu-west-1') })),
    ];
    for (const template of templates) {
      const sizes = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) =>
        // Lambda counts keys and values; an intrinsic (a Ref, an ARN) counted as the longest ARN it resolves to here.
        Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).reduce(
          (total, [key, value]) => total + key.length + (typeof value === 'string' ? value.length : 256),
          0,
        ),
      );
      expect(Math.max(...sizes)).toBeLessThan(2_048); // half the limit, as an upper bound
    }
  });

  it('refuses an environment over what Lambda accepts, saying why', () => {
    expect(() => checkEnvironmentSize({ A: 'x'.repeat(3_000), B: 'y'.repeat(1_000) })).toThrow(
      /Lambda environment would be about 4002 bytes \(limit 4096\)/,
    );
    expect(() => checkEnvironmentSize({ A: 'x'.repeat(1_000) })).not.toThrow();
  });

  it('refuses a referenced function that has no entry in the permission manifest', () => {
    const { zones: _zones, ...withoutZones } = FUNCTION_SPECS;
    expect(() => newHubStack({ functionSpecs: withoutZones })).toThrow(
      /no permission entry in infra\/permissions\.ts for function\(s\) zones/,
    );
  });

  it('gives each function its own role, named for the spoke trust pattern, with no managed policy', () => {
    const template = exampleHubTemplate();
    for (const name of Object.keys(FUNCTION_SPECS)) {
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: `spokelink-fn-${name}`,
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        },
        ManagedPolicyArns: Match.absent(),
      });
    }
  });
});

describe('Hub stack: state machines', () => {
  it('builds a Standard state machine per ASL file with X-Ray and every event logged', () => {
    const template = exampleHubTemplate();
    for (const id of ['onboard', 'offboard', 'reconcile']) {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `spokelink-${id}`,
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } }],
        },
        DefinitionS3Location: Match.anyValue(),
      });
    }
  });

  it.each(['onboard', 'offboard', 'reconcile'])(
    'resolves every placeholder of %s.asl.json to a function, machine or resource',
    (id) => {
      const template = exampleHubTemplate();
      const placeholders = placeholdersOf(readFileSync(join(FIXTURE_STATE_MACHINES, `${id}.asl.json`), 'utf8'));
      const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).find(
        (m) => m.Properties.StateMachineName === `spokelink-${id}`,
      );
      const substitutions = machine?.Properties.DefinitionSubstitutions as Record<string, unknown>;
      expect(Object.keys(substitutions).sort()).toEqual([...placeholders].sort());
      for (const [placeholder, value] of Object.entries(substitutions)) {
        const name = placeholder.replace(/FunctionArn$/, '');
        if (placeholder.endsWith('FunctionArn')) {
          expect(value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${name}StepFunction`)), 'Arn'] });
        }
      }
      if (id === 'reconcile') {
        expect(substitutions.OnboardStateMachineArn).toBe(
          'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-onboard',
        );
      }
      if (id === 'onboard') {
        expect(substitutions).toMatchObject({
          RegistryTableName: { Ref: expect.stringMatching(/^Registry/) },
          ApprovalTopicArn: { Ref: expect.stringMatching(/^ApprovalTopic/) },
          FailureTopicArn: { Ref: expect.stringMatching(/^FailureTopic/) },
        });
      }
    },
  );

  it('lets each state machine invoke exactly the functions its ASL references', () => {
    const template = exampleHubTemplate();
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    for (const machine of Object.values(machines)) {
      const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0] as string;
      const expected = Object.keys(machine.Properties.DefinitionSubstitutions)
        .filter((p) => p.endsWith('FunctionArn'))
        .map((p) => p.replace(/FunctionArn$/, ''))
        .sort();
      const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) =>
        (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
      );
      if (!policy) throw new Error(`no policy for ${roleId}`);
      const invoked = (policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown[] }[])
        .filter((s) => s.Action === 'lambda:InvokeFunction')
        .flatMap((s) => s.Resource)
        .map((r) => JSON.stringify(r).match(/"(\w+?)StepFunction[0-9A-F]{8}"/)?.[1])
        .filter((n): n is string => n !== undefined);
      expect([...new Set(invoked)].sort()).toEqual(expected);
    }
  });

  it('starts the reconcile workflow on the configured schedule, with a dead-letter queue', () => {
    const config = exampleConfig({ reconcile: { schedule: 'rate(30 minutes)', maxConcurrency: 7 } });
    const template = Template.fromStack(newHubStack({ config }));
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'spokelink-reconcile',
      ScheduleExpression: 'rate(30 minutes)',
      Target: {
        Arn: { Ref: Match.stringLikeRegexp('^ReconcileWorkflowStateMachine') },
        Input: JSON.stringify({ source: 'schedule', maxConcurrency: 7 }),
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
      },
    });
  });
});

describe('Hub stack: registry and notifications', () => {
  it('keeps the registry on demand, recoverable, encrypted, protected and retained', () => {
    const template = exampleHubTemplate();
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'spokelink-registry',
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'byAccount',
            KeySchema: [
              { AttributeName: 'accountId', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
          }),
        ],
      },
    });
  });

  it('creates the table the local emulators create: same keys, attribute types and index (one definition)', () => {
    const [table] = Object.values(exampleHubTemplate().findResources('AWS::DynamoDB::Table'));
    const deployed = table!.Properties;
    const local = registryTableDefinition('spokelink-registry');
    const byName = (defs: { AttributeName?: string }[]) =>
      [...defs].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));
    expect(deployed.KeySchema).toEqual(local.KeySchema);
    expect(byName(deployed.AttributeDefinitions)).toEqual(byName(local.AttributeDefinitions ?? []));
    expect(
      deployed.GlobalSecondaryIndexes.map((i: { IndexName: string; KeySchema: unknown; Projection: unknown }) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: i.Projection,
      })),
    ).toEqual(local.GlobalSecondaryIndexes);
    expect(deployed.BillingMode).toBe(local.BillingMode);
  });

  it('uses the configured registry table name', () => {
    const config = exampleConfig({ registry: { tableName: 'network-consumers' } });
    Template.fromStack(newHubStack({ config })).hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'network-consumers',
    });
  });

  it('encrypts both topics with a rotating key and subscribes the configured e-mails with a DLQ', () => {
    const template = exampleHubTemplate();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const name of ['spokelink-failures', 'spokelink-approvals']) {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: name,
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsKey'), 'Arn'] },
      });
    }
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.allResourcesProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'platform-network@example.com',
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
  });

  it("lets only this account's CloudWatch alarms use the topics' key and publish to the failure topic", () => {
    const template = exampleHubTemplate();
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    type Statement = { Sid?: string; Principal: string | { Service?: string; AWS?: unknown }; Condition?: object };
    const services = (key!.Properties.KeyPolicy.Statement as Statement[]).filter(
      (s) => typeof s.Principal === 'object' && s.Principal.Service !== undefined,
    );
    // No EventBridge grant: no rule targets a topic, and a KMS grant to EventBridge cannot carry source conditions.
    expect(services.map((s) => (s.Principal as { Service: string }).Service)).toEqual(['cloudwatch.amazonaws.com']);
    const fromAlarms = {
      StringEquals: { 'aws:SourceAccount': '111111111111' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:*' },
    };
    expect(services[0]!.Condition).toEqual(fromAlarms);
    const topicStatements = Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as (Statement & { Effect: string; Action: string })[],
    );
    const allows = topicStatements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Sid: 'PublishAlarms',
        Action: 'sns:Publish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: fromAlarms,
      }),
    ]);
  });

  it('sends failed, timed-out and aborted executions of every workflow to the per-account failure notifier', () => {
    const template = exampleHubTemplate();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^OnboardWorkflowStateMachine') }]),
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotifyFailuresStep'), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: Match.anyValue(),
        }),
      ],
    });
    // Its counts whose window has ended go out on a minute schedule; the dispatcher's too.
    for (const name of ['spokelink-notify-failures', 'spokelink-dispatch']) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: name,
        ScheduleExpression: 'rate(1 minute)',
        Target: Match.objectLike({ Input: JSON.stringify({ source: 'schedule' }) }),
      });
    }
  });

  it('sends every end of an onboarding or offboarding to the dispatcher, and makes its queue depth a metric', () => {
    const template = exampleHubTemplate();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        detail: {
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: Match.arrayWith([Match.stringLikeRegexp('stateMachine:spokelink-onboard$')]),
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DispatchStep'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.queueDepth >= 0 }',
      MetricTransformations: [Match.objectLike({ MetricName: 'IntakeQueueDepth', MetricValue: '$.queueDepth' })],
    });
  });

  it('alarms to the failure topic when a dead-letter queue holds messages', () => {
    const template = exampleHubTemplate();
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^FailureTopic') }],
      },
      // intake failures, intake deliveries, reconcile schedule, failure notifier, dispatcher
      5,
    );
  });
});

describe('Hub stack: the TGW shared with the organization', () => {
  const shares = (template: Template) => Object.values(template.findResources('AWS::RAM::ResourceShare'));

  it('shares the TGW once with the whole organization, never with an account outside it', () => {
    const template = exampleHubTemplate();
    const found = shares(template);
    expect(found).toHaveLength(1);
    const props = found[0]!.Properties as Record<string, unknown>;
    expect(props.Name).toBe('spokelink-tgw-organization');
    expect(props.AllowExternalPrincipals).toBe(false);
    expect((props.Principals as unknown[]).map(flat)).toEqual([
      'arn:aws:organizations::999999999999:organization/o-exampleorg1',
    ]);
    expect((props.ResourceArns as unknown[]).map(flat)).toEqual([
      'arn:aws:ec2:us-east-1:111111111111:transit-gateway/tgw-0a1b2c3d4e5f60718',
    ]);
    expect(props.Tags).toEqual([{ Key: 'spokelink:managed', Value: 'true' }]);
    template.hasOutput('TransitGatewayOrganizationShareArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TransitGatewayOrganizationShare'), 'Arn'] },
    });
  });

  it('creates no share when the configuration keeps one share per account', () => {
    const raw = exampleConfig();
    const config = exampleConfig({ organization: { ...raw.organization, shareTransitGateway: false } });
    expect(shares(Template.fromStack(newHubStack({ config })))).toEqual([]);
  });

  it('shares by default when the management account is configured, and not without it', () => {
    const { shareTransitGateway: _explicit, ...organization } = exampleConfig().organization;
    expect(shares(Template.fromStack(newHubStack({ config: exampleConfig({ organization }) })))).toHaveLength(1);
    const { managementAccountId: _management, ...withoutManagement } = organization;
    const config = exampleConfig({ organization: withoutManagement });
    expect(shares(Template.fromStack(newHubStack({ config })))).toEqual([]);
  });

  it('refuses shareTransitGateway without the management account that the organization ARN names', () => {
    const { managementAccountId: _management, ...organization } = exampleConfig().organization;
    expect(() => exampleConfig({ organization })).toThrow(
      /organization\.shareTransitGateway: needs organization\.managementAccountId/,
    );
  });
});

describe('Hub stack: DNS mode profile', () => {
  it('creates the hub Profile holding every catalog zone and shares it with the organization and outside accounts', () => {
    const config = profileConfig();
    const template = Template.fromStack(newHubStack({ config }));
    template.resourceCountIs('AWS::Route53Profiles::Profile', 1);
    template.hasResourceProperties('AWS::Route53Profiles::Profile', { Name: 'spokelink-endpoints' });
    const zoneIds = [...new Set(Object.values(config.endpoints).flatMap((e) => e.privateHostedZoneIds))];
    const associations = template.findResources('AWS::Route53Profiles::ProfileResourceAssociation');
    expect(
      Object.values(associations)
        .map((r) => flat(r.Properties.ResourceArn))
        .sort(),
    ).toEqual(zoneIds.map((id) => `arn:aws:route53:::hostedzone/${id}`).sort());
    const shares = Object.values(template.findResources('AWS::RAM::ResourceShare')).filter(
      (r) => r.Properties.Name === 'spokelink-profile',
    );
    expect(shares).toHaveLength(1);
    expect((shares[0]!.Properties.Principals as unknown[]).map(flat)).toEqual([
      `arn:aws:organizations::${config.organization.managementAccountId}:organization/${config.organization.id}`,
      ...config.organization.externalAccounts,
    ]);
    expect(shares[0]!.Properties.AllowExternalPrincipals).toBe(config.organization.externalAccounts.length > 0);
  });

  it('creates no Profile in zones mode (the default)', () => {
    exampleHubTemplate().resourceCountIs('AWS::Route53Profiles::Profile', 0);
  });

  it('refuses profile mode without the management account (the organization share needs it), naming the field', () => {
    const raw = JSON.parse(JSON.stringify(exampleConfig())) as { organization: Record<string, unknown> };
    delete raw.organization.managementAccountId;
    raw.organization.shareTransitGateway = false;
    expect(() => parseConfig({ ...raw, dns: { mode: 'profile' } }, 'c')).toThrow(/dns\.mode: profile mode shares/);
  });
});

describe('Hub stack: aggregated ingress', () => {
  it('admits each segment supernet once on each endpoint group the segment may use, and nowhere else', () => {
    const config = withSupernets();
    const template = Template.fromStack(newHubStack({ config }));
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => {
      const p = r.Properties as Record<string, unknown>;
      return `${p.GroupId} ${p.CidrIp ?? `v6 ${p.CidrIpv6}`} ${p.IpProtocol} ${p.FromPort}-${p.ToPort} ${p.Description}`;
    });
    const [ssm, sts, secrets] = ['ssm', 'sts', 'secretsmanager'].map((n) => config.endpoints[n]!.securityGroupId);
    expect(rules.sort()).toEqual(
      [
        // prod may use every endpoint, nonprod all but the prod-only secretsmanager.
        ...[ssm, sts, secrets].flatMap((sg) => [
          `${sg} 10.64.0.0/10 tcp 443-443 spokelink aggregated-ingress prod`,
          `${sg} v6 2600:1f18:100::/40 tcp 443-443 spokelink aggregated-ingress prod`,
        ]),
        ...[ssm, sts].map((sg) => `${sg} 10.128.0.0/10 tcp 443-443 spokelink aggregated-ingress nonprod`),
      ].sort(),
    );
  });

  it('has no ingress resource without supernets (the default: one rule per VPC block, made by onboarding)', () => {
    exampleHubTemplate().resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });
});
