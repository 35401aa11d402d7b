import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { CfnSecurityGroupIngress } from 'aws-cdk-lib/aws-ec2';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AccountPrincipal, AnyPrincipal, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type FunctionUrl, FunctionUrlAuthType, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { CfnResourceShare } from 'aws-cdk-lib/aws-ram';
import { CfnProfile, CfnProfileResourceAssociation } from 'aws-cdk-lib/aws-route53profiles';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { aggregatedIngressRules } from '#shared/aggregated-ingress';
import { isIpv6Cidr } from '#shared/cidr';
import { type HubConfig, organizationShareOf, profileShareOf } from '#shared/config';
import { BUNDLED_CONFIG_NAME, BUNDLED_CONFIG_PATH, configText, handlerEnvironment } from '#shared/env';
import { headroomMetricsOf } from '#shared/headroom';
import { METRICS_NAMESPACE, STEP_METRICS } from '#shared/powertools';
import { REGISTRY_TABLE_SHAPE } from '#shared/registry/table';
import {
  DEFAULT_FUNCTIONS_DIR,
  DEFAULT_STATE_MACHINES_DIR,
  REPO_ROOT,
  type ResourceNames,
  resourceNames,
} from '../config';
import { toCdkEventPattern } from '../constructs/cdk-event-pattern';
import { CrossRegionEndpoints } from '../constructs/cross-region-endpoints';
import { deadLetterQueue } from '../constructs/dead-letter-queue';
import { acknowledge, acknowledgeDocumentedWildcards } from '../constructs/nag';
import { SpokelinkFunction } from '../constructs/spokelink-function';
import { type PlaceholderResource, WorkflowStateMachine } from '../constructs/workflow-state-machine';
import { ACCEPTED_DETAIL_TYPES, ACCEPTED_SOURCES, INTAKE_EVENT_PATTERNS, INTAKE_TARGET_RETRY } from '../event-patterns';
import { sizingOf } from '../function-sizing';
import {
  FUNCTION_SPECS,
  type FunctionSpec,
  grantStep,
  hostedZoneArn,
  type PermissionContext,
  stateMachineArnFor,
} from '../permissions';
import {
  functionEntry,
  planWorkflow,
  RECONCILE_STATE_MACHINE,
  REQUIRED_STATE_MACHINES,
  type ResourcePlaceholder,
  type WorkflowPlan,
} from '../workflow-sources';

/** Lambda's limit for all environment variables of a function together (keys and values). */
const LAMBDA_ENV_LIMIT_BYTES = 4096;

export interface HubStackProps extends StackProps {
  /** The validated hub configuration. */
  readonly config: HubConfig;
  /** Folder of `<name>/handler.ts` entries. @default `<repo>/functions` */
  readonly functionsDir?: string;
  /** Folder of `*.asl.json` workflows. @default `<repo>/statemachines` */
  readonly stateMachinesDir?: string;
  /** The permission manifest. @default FUNCTION_SPECS from infra/permissions.ts */
  readonly functionSpecs?: Readonly<Record<string, FunctionSpec>>;
  /** Repository root: esbuild's project root (package-lock.json, tsconfig.json). @default the repository */
  readonly projectRoot?: string;
}

/**
 * The hub (network / shared-services account): the event bus the spoke accounts forward to, the intake, one Standard
 * state machine per ASL file with one Lambda per referenced step, the consumer registry, notifications and the
 * reconcile schedule.
 */
export class HubStack extends Stack {
  readonly names: ResourceNames;
  readonly plan: WorkflowPlan;
  readonly bus: EventBus;
  readonly registry: Table;
  readonly failureTopic: Topic;
  readonly approvalTopic: Topic;
  /** The decision function's URL (AWS_IAM auth): where approvers send their decisions. */
  readonly decisionUrl: FunctionUrl;
  readonly functions: ReadonlyMap<string, SpokelinkFunction>;
  readonly workflows: ReadonlyMap<string, WorkflowStateMachine>;
  /** The RAM share of the TGW with the organization (when `organization.shareTransitGateway`). */
  readonly organizationShare?: CfnResourceShare;
  /** The capacity dashboard and the headroom alarms (to the failure topic). */
  readonly capacity: { dashboard: Dashboard; alarms: Alarm[] };
  /** The segments' aggregated ingress rules on the endpoint security groups (`segments.*.aggregatedIngress`). */
  readonly aggregatedIngress: CfnSecurityGroupIngress[];
  /** DNS mode `profile`: the hub's Route 53 Profile holding the catalog's zones, and its RAM share. */
  readonly hubProfile?: { profile: CfnProfile; share: CfnResourceShare };

  constructor(scope: Construct, id: string, props: HubStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = resourceNames(config);
    this.names = names;
    const projectRoot = props.projectRoot ?? REPO_ROOT;
    this.plan = planWorkflow(
      props.functionsDir ?? `${REPO_ROOT}/${DEFAULT_FUNCTIONS_DIR}`,
      props.stateMachinesDir ?? `${REPO_ROOT}/${DEFAULT_STATE_MACHINES_DIR}`,
    );
    const specs = props.functionSpecs ?? FUNCTION_SPECS;
    const unlisted = this.plan.functions.filter((name) => specs[name] === undefined);
    if (unlisted.length > 0) {
      throw new Error(
        `spokelink: no permission entry in infra/permissions.ts for function(s) ${unlisted.join(', ')}; ` +
          'list exactly the calls each one makes (an empty grant for a step that calls no AWS API)',
      );
    }
    const stateMachineArn = (machineId: string) => stateMachineArnFor(this, config, machineId);

    // Notifications: one customer-managed key, because EventBridge and CloudWatch alarms cannot publish to a topic
    // encrypted with the AWS-managed SNS key.
    const key = new Key(this, 'NotificationsKey', {
      description: `${config.prefix}: encrypts the failure and approval topics`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Only this account's alarms publish to the topics through AWS (the functions publish with their roles' identity
    // policies). aws:SourceArn and aws:SourceAccount against the confused deputy, on the key and on the topic (IAM User
    // Guide, "Cross-service confused deputy prevention"; SNS Developer Guide, "Enable compatibility between event
    // sources from AWS services and encrypted topics"). No EventBridge rule targets a topic: EventBridge gets no grant.
    const alarmArns = this.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': this.account },
      ArnLike: { 'aws:SourceArn': alarmArns },
    };
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'PublishAlarmsToEncryptedTopics',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );
    const notificationsDlq = deadLetterQueue(this, 'NotificationsDlq', 'undeliverable e-mail notifications');
    this.failureTopic = new Topic(this, 'FailureTopic', {
      topicName: `${config.prefix}-failures`,
      displayName: 'spokelink failures',
      masterKey: key,
      enforceSSL: true,
    });
    this.failureTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'PublishAlarms',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.failureTopic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );
    this.approvalTopic = new Topic(this, 'ApprovalTopic', {
      topicName: `${config.prefix}-approvals`,
      displayName: 'spokelink approvals',
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of config.notifications.emails) {
      for (const topic of [this.failureTopic, this.approvalTopic]) {
        topic.addSubscription(new EmailSubscription(email, { deadLetterQueue: notificationsDlq }));
      }
    }

    const shape = REGISTRY_TABLE_SHAPE;
    this.registry = new Table(this, 'Registry', {
      tableName: names.registryTable,
      partitionKey: { name: shape.partitionKey, type: AttributeType.STRING },
      sortKey: { name: shape.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Items that should disappear on their own (approval tokens, say) set `ttl` (epoch seconds). A dedicated name,
      // so that no attribute with another meaning (the lease's `expiresAt`) ever deletes an item by accident.
      timeToLiveAttribute: shape.timeToLiveAttribute,
    });
    this.registry.addGlobalSecondaryIndex({
      indexName: shape.accountIndex.name,
      partitionKey: { name: shape.accountIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: shape.accountIndex.sortKey, type: AttributeType.STRING },
    });

    this.bus = this.createHubBus(config, names);
    this.organizationShare = this.shareTransitGatewayWithOrganization(config);
    this.hubProfile = this.hubRoute53Profile(config);
    // Catalog entries of services of another region: the hub's cross-region endpoints and their alias records.
    new CrossRegionEndpoints(this, 'CrossRegionEndpoints', config);

    // Functions: the always-built ones plus every `${XxxFunctionArn}` of the ASL files.
    // The configuration travels in each function's package (4 KB of environment would not hold it), the environment
    // names the file and its digest (functions/shared/env.ts).
    const configFiles = { [BUNDLED_CONFIG_NAME]: configText(config) };
    const environment = handlerEnvironment({
      config,
      configFile: BUNDLED_CONFIG_PATH,
      registryTableName: this.registry.tableName,
      serviceName: config.prefix,
      logLevel: 'INFO',
      onboardStateMachineArn: stateMachineArn('onboard'),
      offboardStateMachineArn: stateMachineArn('offboard'),
      approvalTopicArn: this.approvalTopic.topicArn,
      failureTopicArn: this.failureTopic.topicArn,
    });
    checkEnvironmentSize(environment);
    const intakeFailures = deadLetterQueue(this, 'IntakeFailureQueue', 'intake invocations that failed');
    const ctx: PermissionContext = {
      config,
      stack: this,
      registry: this.registry,
      approvalTopic: this.approvalTopic,
      failureTopic: this.failureTopic,
      stateMachineArn,
    };
    const functions = new Map<string, SpokelinkFunction>();
    for (const name of this.plan.functions) {
      const spec = specs[name]!;
      const isIntake = name === 'intake';
      const fn = new SpokelinkFunction(this, `${pascal(name)}Step`, {
        name,
        functionName: names.function(name),
        roleName: names.functionRole(name),
        entry: functionEntry(this.plan.functionsDir, name),
        projectRoot,
        description: spec.description,
        environment,
        files: configFiles,
        memorySize: sizingOf(name).memoryMb,
        timeout: Duration.seconds(sizingOf(name).timeoutSeconds),
        onFailure: isIntake ? new SqsDestination(intakeFailures) : undefined,
      });
      grantStep(spec, fn.role, ctx);
      acknowledge(
        fn.function,
        'Serverless-LambdaDLQ',
        isIntake
          ? 'Asynchronous failures go to the on-failure destination (intake failure queue), which keeps the error ' +
              'with the event; a dead-letter queue would store the same events a second time.'
          : 'Invoked synchronously by Step Functions: a failure surfaces in the execution, where the ASL retries or ' +
              'catches it by name; a dead-letter queue only applies to asynchronous invocations.',
      );
      functions.set(name, fn);
    }
    this.functions = functions;

    // The decision entry point: approvers POST their decision to this URL, SigV4-signed; Lambda authenticates them
    // (AWS_IAM auth) and hands the function their ARN (docs/lifecycle.md, "Approvals"). Approvers need
    // lambda:InvokeFunctionUrl on this function, nothing of Step Functions.
    this.decisionUrl = functions.get('decision')!.function.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    // State machines: one per ASL file, named <prefix>-<id>.
    const lambdas = new Map<string, IFunction>([...functions].map(([name, fn]) => [name, fn.function]));
    const resources: Record<ResourcePlaceholder, PlaceholderResource> = {
      ApprovalTopicArn: {
        value: this.approvalTopic.topicArn,
        grant: (machine) => this.approvalTopic.grantPublish(machine),
      },
      FailureTopicArn: {
        value: this.failureTopic.topicArn,
        grant: (machine) => this.failureTopic.grantPublish(machine),
      },
      RegistryTableName: {
        value: this.registry.tableName,
        grant: (machine) =>
          this.registry.grant(
            machine,
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:Query',
          ),
      },
    };
    const workflows = new Map<string, WorkflowStateMachine>();
    for (const source of this.plan.stateMachines) {
      workflows.set(
        source.id,
        new WorkflowStateMachine(this, `${pascal(source.id)}Workflow`, {
          source,
          stateMachineName: names.stateMachine(source.id),
          functions: lambdas,
          stateMachineArn,
          stateMachineNameOf: (machineId) => names.stateMachine(machineId),
          resources,
        }),
      );
    }
    this.workflows = workflows;

    this.routeEventsToIntake(functions.get('intake')!.function);
    this.notifyFailedExecutions(
      functions.get('notify-failures')!,
      [...workflows.values()].map((w) => w.stateMachine.stateMachineArn),
    );
    this.dispatchIntakeQueue(functions.get('dispatch')!, REQUIRED_STATE_MACHINES.map(stateMachineArn));
    this.alarmOnDeadLetters([intakeFailures]);
    this.scheduleReconcile(config, workflows.get(RECONCILE_STATE_MACHINE));
    this.aggregatedIngress = this.admitAggregatedIngress(config);
    this.capacity = this.capacityDashboard(config);

    new CfnOutput(this, 'HubEventBusArn', { value: this.bus.eventBusArn, description: 'Spoke rules forward here' });
    new CfnOutput(this, 'RegistryTableName', { value: this.registry.tableName });
    new CfnOutput(this, 'FailureTopicArn', { value: this.failureTopic.topicArn });
    new CfnOutput(this, 'ApprovalTopicArn', { value: this.approvalTopic.topicArn });
    new CfnOutput(this, 'DecisionUrl', {
      value: this.decisionUrl.url,
      description: 'spokelink approve|deny --url: the decision function URL (AWS_IAM auth)',
    });
    for (const [machineId, workflow] of workflows) {
      new CfnOutput(this, `${pascal(machineId)}StateMachineArn`, { value: workflow.stateMachine.stateMachineArn });
    }

    acknowledgeDocumentedWildcards(this);
  }

  /** `<prefix>-hub`: accepts PutEvents from the organization and the listed external accounts, nothing else. */
  private createHubBus(config: HubConfig, names: ResourceNames): EventBus {
    const bus = new EventBus(this, 'HubBus', { eventBusName: names.hubBus });
    // Only AWS-originated tag and CloudTrail events, as forwarded by the spoke rules: a member account cannot
    // PutEvents with an `aws.*` source itself, so these conditions also stop forged requests ("Example policy: Send
    // events to a custom bus in a different account in Amazon EventBridge", EventBridge User Guide:
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html).
    // events:source and events:detail-type are single-valued: StringEquals (a ForAllValues set operator would also
    // match a request without the key; IAM User Guide, "Single-valued vs. multivalued context keys").
    const onlyForwardedEvents = {
      'events:source': [...ACCEPTED_SOURCES],
      'events:detail-type': [...ACCEPTED_DETAIL_TYPES],
    };
    bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AcceptOrganizationForwardedEvents',
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': config.organization.id, ...onlyForwardedEvents } },
      }),
    );
    // Accounts outside the organization fail the aws:PrincipalOrgID test: each is named explicitly.
    for (const account of config.organization.externalAccounts) {
      bus.addToResourcePolicy(
        new PolicyStatement({
          sid: `AcceptExternalAccount${account}`,
          principals: [new AccountPrincipal(account)],
          actions: ['events:PutEvents'],
          resources: [bus.eventBusArn],
          conditions: { StringEquals: onlyForwardedEvents },
        }),
      );
    }
    return bus;
  }

  /**
   * The TGW shared once with the whole organization, so that no account's first VPC waits for a per-account share to
   * propagate: members of the organization see it without invitation ("Principals in your organization gain access
   * to shared resources without exchanging invitations", RAM User Guide,
   * https://docs.aws.amazon.com/ram/latest/userguide/getting-started-sharing.html). External principals are refused
   * on this share; accounts outside the organization keep the per-account share `<prefix>-tgw` the
   * transit-gateway function manages. Prerequisite: the management account has enabled RAM sharing with AWS
   * Organizations (EnableSharingWithAwsOrganization), else RAM refuses the organization principal
   * (OperationNotPermittedException) and the deploy fails.
   */
  private shareTransitGatewayWithOrganization(config: HubConfig): CfnResourceShare | undefined {
    const share = organizationShareOf(config, this.partition);
    if (!share) return undefined;
    const resource = new CfnResourceShare(this, 'TransitGatewayOrganizationShare', {
      name: share.name,
      resourceArns: [share.transitGatewayArn],
      principals: [share.organizationArn],
      allowExternalPrincipals: share.allowExternalPrincipals,
      tags: share.tags,
    });
    new CfnOutput(this, 'TransitGatewayOrganizationShareArn', {
      value: resource.attrArn,
      description: `RAM share of ${config.hub.transitGatewayId} with organization ${config.organization.id}`,
    });
    return resource;
  }

  /**
   * DNS mode `profile`: the hub's Route 53 Profile (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/profiles.html)
   * holding every catalog zone, shared through RAM with the organization (no invitations) and the configured outside
   * accounts (invited). Spoke accounts associate it with their VPCs (the zones function, from the spoke role). The
   * functions find it by its name (`hubProfileName`). Sharing a Profile needs route53profiles:PutProfilePolicy,
   * which the deploying role holds (CloudFormation acts as it).
   */
  private hubRoute53Profile(config: HubConfig): { profile: CfnProfile; share: CfnResourceShare } | undefined {
    const share = profileShareOf(config, this.partition);
    if (!share) return undefined;
    const profile = new CfnProfile(this, 'HubProfile', {
      name: share.profileName,
      tags: share.tags.map((t) => ({ key: t.key, value: t.value })),
    });
    for (const zoneId of share.zoneIds) {
      new CfnProfileResourceAssociation(this, `HubProfileZone${zoneId}`, {
        name: `${config.prefix}-${zoneId}`,
        profileId: profile.attrId,
        resourceArn: hostedZoneArn(this, zoneId),
      });
    }
    const shards = this.shardProfiles(config);
    const resource = new CfnResourceShare(this, 'HubProfileShare', {
      name: share.name,
      // The shards' Profiles in the same share: spoke accounts accept one invitation, the grants name one share.
      resourceArns: [profile.attrArn, ...shards.map((p) => p.attrArn)],
      principals: [share.organizationArn, ...share.externalAccounts],
      allowExternalPrincipals: share.allowExternalPrincipals,
      tags: share.tags,
    });
    new CfnOutput(this, 'HubProfileId', {
      value: profile.attrId,
      description: `Route 53 Profile ${share.profileName}`,
    });
    return { profile, share: resource };
  }

  /**
   * Profile mode, endpoint shards (functions/shared/shards.ts): each shard's own Profile, holding its endpoints' zones
   * (a VPC of the shard associates it; at most 1,000 VPCs per Profile by default). Shared by the hub's Profile share.
   */
  private shardProfiles(config: HubConfig): CfnProfile[] {
    return Object.entries(config.segments).flatMap(([segment, { shards }]) =>
      (shards ?? []).map((shard) => {
        const id = `ShardProfile-${segment}-${shard.name}`;
        const profile = new CfnProfile(this, id, {
          name: shard.profileName!,
          tags: [
            { key: 'spokelink:managed', value: 'true' },
            { key: 'spokelink:shard', value: `${segment}/${shard.name}` },
          ],
        });
        const zones = [...new Set(Object.values(shard.endpoints).flatMap((e) => e.privateHostedZoneIds))].sort();
        for (const zoneId of zones) {
          new CfnProfileResourceAssociation(this, `${id}-Zone${zoneId}`, {
            name: `${config.prefix}-${zoneId}`,
            profileId: profile.attrId,
            resourceArn: hostedZoneArn(this, zoneId),
          });
        }
        new CfnOutput(this, `${id}-Id`, {
          value: profile.attrId,
          description: `Route 53 Profile ${shard.profileName}`,
        });
        return profile;
      }),
    );
  }

  /**
   * Aggregated ingress (functions/shared/aggregated-ingress.ts): each segment's supernets admitted once on the
   * security group of each endpoint the segment may use. They are the platform team's rules, so the stack owns them:
   * no onboarding makes them and no offboarding removes them.
   */
  private admitAggregatedIngress(config: HubConfig): CfnSecurityGroupIngress[] {
    return aggregatedIngressRules(config).map(
      (rule) =>
        new CfnSecurityGroupIngress(
          this,
          `AggregatedIngress-${rule.groupId}-${rule.cidr.replace(/[/:.]/g, '-')}-${rule.port}`,
          {
            groupId: rule.groupId,
            ipProtocol: 'tcp',
            fromPort: rule.port,
            toPort: rule.port,
            ...(isIpv6Cidr(rule.cidr) ? { cidrIpv6: rule.cidr } : { cidrIp: rule.cidr }),
            description: rule.description,
          },
        ),
    );
  }

  /**
   * `<prefix>-capacity`: the hub's headroom on each quota a migration day meets (the `Headroom*` metrics the reconcile
   * publishes from the registry, percent of the quota left on its tightest resource: functions/shared/headroom.ts),
   * the onboarding outcomes (the step metrics every function flushes: functions/shared/powertools.ts) and the intake
   * queue's depth. Each headroom metric alarms to the failure topic when it falls below
   * `capacity.headroomAlarmPercent`. A reconcile that does not run publishes nothing: missing data does not alarm
   * (its failures reach the failure topic by the failed-execution notifications).
   */
  private capacityDashboard(config: HubConfig): { dashboard: Dashboard; alarms: Alarm[] } {
    const margin = config.capacity.headroomAlarmPercent;
    const headroom = headroomMetricsOf(config).map(
      (metricName) =>
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { service: config.prefix },
          statistic: 'Minimum',
          period: Duration.hours(1),
        }),
    );
    // Labelled for the dashboard only (a labelled metric would make the alarm a metric-math one).
    const labelled = headroom.map((m) => m.with({ label: m.metricName.replace(/^Headroom/, '') }));
    const alarms = headroom.map((metric) => {
      const alarm = metric.createAlarm(this, `${metric.metricName}Alarm`, {
        alarmName: `${config.prefix}-${metric.metricName.replace(/[A-Z]/g, (c, i) => `${i ? '-' : ''}${c.toLowerCase()}`)}`,
        alarmDescription:
          `spokelink: less than ${margin}% of a quota left (${metric.metricName}); see the ${config.prefix}-capacity ` +
          'dashboard and run "spokelink preflight --config" (README, "Capacity planning")',
        threshold: margin,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(this.failureTopic));
      return alarm;
    });
    // Every function's and action's steps of this hub (the step metrics' dimensions), summed per function.
    const steps = (metricName: string, statistic: string) =>
      new MathExpression({
        expression:
          `SEARCH('{${METRICS_NAMESPACE},action,function,service} MetricName="${metricName}" ` +
          `service="${config.prefix}"', '${statistic}', 300)`,
        label: metricName,
        period: Duration.minutes(5),
      });
    const dashboard = new Dashboard(this, 'CapacityDashboard', {
      dashboardName: `${config.prefix}-capacity`,
      widgets: [
        [
          new TextWidget({
            markdown:
              `# ${config.prefix}: capacity and onboarding outcomes\n` +
              `Headroom: percent of each quota left on its tightest resource (the reconcile publishes it from the ` +
              `registry every run); alarms below ${margin}%. Before a migration day: \`spokelink preflight --config\`.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new GraphWidget({
            title: 'Headroom (% of quota left)',
            left: labelled,
            leftYAxis: { min: 0, max: 100 },
            leftAnnotations: [{ value: margin, label: 'alarm' }],
            width: 16,
          }),
          new SingleValueWidget({ title: 'Headroom now (%)', metrics: labelled, width: 8 }),
        ],
        [
          new GraphWidget({
            title: 'Onboarding outcomes: steps succeeded and failed',
            left: [steps(STEP_METRICS.succeeded, 'Sum'), steps(STEP_METRICS.failed, 'Sum')],
            width: 8,
          }),
          new GraphWidget({
            title: 'Step duration (p90, ms)',
            left: [steps(STEP_METRICS.duration, 'p90')],
            width: 8,
          }),
          new GraphWidget({
            title: 'Intake queue depth',
            left: [
              new Metric({
                namespace: METRICS_NAMESPACE,
                metricName: 'IntakeQueueDepth',
                dimensionsMap: { Prefix: config.prefix },
                statistic: 'Maximum',
                period: Duration.minutes(1),
              }),
            ],
            width: 8,
          }),
        ],
      ],
    });
    return { dashboard, alarms };
  }

  /** One rule per intake pattern on the hub bus, each with a DLQ, retries and a max event age. */
  private routeEventsToIntake(intake: IFunction): void {
    const undelivered = deadLetterQueue(this, 'IntakeDeliveryDlq', 'hub events the intake could not be sent');
    for (const [name, pattern] of Object.entries(INTAKE_EVENT_PATTERNS)) {
      new Rule(this, `${pascal(name)}Rule`, {
        ruleName: `${this.names.hubBus}-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
        description: `spokelink intake: ${name}`,
        eventBus: this.bus,
        eventPattern: toCdkEventPattern(pattern),
        targets: [
          new LambdaFunction(intake, {
            deadLetterQueue: undelivered,
            retryAttempts: INTAKE_TARGET_RETRY.retryAttempts,
            maxEventAge: Duration.hours(INTAKE_TARGET_RETRY.maxEventAgeHours),
          }),
        ],
      });
    }
    this.alarmOnDeadLetters([undelivered]);
  }

  /**
   * Failed, timed-out or aborted executions of any spokelink workflow go to the notify-failures function, which sums
   * them up per account (at most one message per account per `notifications.failureWindowMinutes`) and mails the
   * counts to the failure topic; a minute schedule sends the counts whose window has ended.
   */
  private notifyFailedExecutions(notify: SpokelinkFunction, stateMachineArns: string[]): void {
    const undelivered = deadLetterQueue(this, 'FailureNotificationDlq', 'failed executions the notifier was not sent');
    this.onExecutionStatus('FailedExecutionsRule', {
      description: 'spokelink: count failed workflow executions per account for the failure notifications',
      statuses: ['FAILED', 'TIMED_OUT', 'ABORTED'],
      stateMachineArns,
      target: notify,
      undelivered,
      maxEventAge: Duration.hours(24),
    });
    this.everyMinute('NotifyFailuresSchedule', `${this.names.function('notify-failures')}`, notify, undelivered);
    this.alarmOnDeadLetters([undelivered]);
  }

  /**
   * The intake queue's dispatcher runs when an onboarding or offboarding execution ends (its account has a free slot)
   * and every minute (debounce windows that ended, a status event that was missed). The minute pass logs the whole
   * queue's depth (`queueDepth`), which becomes the `IntakeQueueDepth` metric (namespace `spokelink`).
   */
  private dispatchIntakeQueue(dispatcher: SpokelinkFunction, stateMachineArns: string[]): void {
    const undelivered = deadLetterQueue(this, 'DispatchDlq', 'execution ends the dispatcher was not sent');
    this.onExecutionStatus('EndedExecutionsRule', {
      description: 'spokelink: an execution ended, its account may start a queued request',
      statuses: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
      stateMachineArns,
      target: dispatcher,
      undelivered,
      maxEventAge: Duration.hours(1),
    });
    this.everyMinute('DispatchSchedule', this.names.function('dispatch'), dispatcher, undelivered);
    new MetricFilter(this, 'IntakeQueueDepthMetric', {
      logGroup: dispatcher.logGroup,
      filterPattern: FilterPattern.numberValue('$.queueDepth', '>=', 0),
      metricNamespace: 'spokelink',
      metricName: 'IntakeQueueDepth',
      metricValue: '$.queueDepth',
      dimensions: { Prefix: '$.service' },
    });
    this.alarmOnDeadLetters([undelivered]);
  }

  /**
   * A rule that sends the status changes (`statuses`) of spokelink's executions to `target`: 8 retries within
   * `maxEventAge`, then `undelivered`.
   */
  private onExecutionStatus(
    id: string,
    props: {
      description: string;
      statuses: string[];
      stateMachineArns: string[];
      target: SpokelinkFunction;
      undelivered: Queue;
      maxEventAge: Duration;
    },
  ): void {
    new Rule(this, id, {
      description: props.description,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: props.statuses, stateMachineArn: props.stateMachineArns },
      },
      targets: [
        new LambdaFunction(props.target.function, {
          deadLetterQueue: props.undelivered,
          retryAttempts: 8,
          maxEventAge: props.maxEventAge,
        }),
      ],
    });
  }

  /** EventBridge Scheduler invokes `fn` every minute with `{ "source": "schedule" }`. */
  private everyMinute(id: string, scheduleName: string, fn: SpokelinkFunction, deadLetterQueue: Queue): void {
    new Schedule(this, id, {
      scheduleName,
      description: `spokelink: ${fn.function.node.id} every minute`,
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      target: new LambdaInvoke(fn.function, {
        input: ScheduleTargetInput.fromObject({ source: 'schedule' }),
        deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
      }),
    });
  }

  /** Any message in a dead-letter queue is worth a look: alarm to the failure topic. */
  private alarmOnDeadLetters(queues: Queue[]): void {
    for (const queue of queues) {
      const alarm = queue
        .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
        .createAlarm(queue, 'NotEmpty', {
          alarmDescription: 'spokelink: messages are waiting in a dead-letter queue',
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      alarm.addAlarmAction(new SnsAction(this.failureTopic));
    }
  }

  /** EventBridge Scheduler starts the reconcile workflow on `config.reconcile.schedule`. */
  private scheduleReconcile(config: HubConfig, reconcile: WorkflowStateMachine | undefined): void {
    if (!reconcile) return;
    const undelivered = deadLetterQueue(this, 'ReconcileScheduleDlq', 'reconcile runs the scheduler could not start');
    new Schedule(this, 'ReconcileSchedule', {
      scheduleName: `${config.prefix}-reconcile`,
      description: 'spokelink: repair lost events (best-effort tag events) and drift',
      schedule: ScheduleExpression.expression(config.reconcile.schedule),
      target: new StepFunctionsStartExecution(reconcile.stateMachine, {
        input: ScheduleTargetInput.fromObject({ source: 'schedule', maxConcurrency: config.reconcile.maxConcurrency }),
        deadLetterQueue: undelivered,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });
    this.alarmOnDeadLetters([undelivered]);
  }
}

/** `transit-gateway` or `vpcLifecycle` -> `TransitGateway`, `VpcLifecycle` (construct ids). */
function pascal(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** Lambda rejects functions whose environment exceeds 4 KB: fail at synth with the reason instead. */
export function checkEnvironmentSize(environment: Record<string, string>): void {
  // Unresolved tokens (ARNs, names) are estimated generously.
  const size = Object.entries(environment).reduce(
    (total, [name, value]) => total + name.length + (Token.isUnresolved(value) ? 160 : Buffer.byteLength(value)),
    0,
  );
  if (size > LAMBDA_ENV_LIMIT_BYTES - 200) {
    throw new Error(
      `spokelink: the Lambda environment would be about ${size} bytes (limit ${LAMBDA_ENV_LIMIT_BYTES}); ` +
        'the configuration travels in the package, so another variable is too large',
    );
  }
}
