import {
  Aws,
  CfnCondition,
  CfnOutput,
  Duration,
  Fn,
  LegacyStackSynthesizer,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { AccountPrincipal, type CfnRole, PolicyDocument, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { type HubConfig, servedRegions } from '#shared/config';
import { hubBusArn, resourceNames } from '../config';
import { toCdkEventPattern } from '../constructs/cdk-event-pattern';
import { deadLetterQueue } from '../constructs/dead-letter-queue';
import { acknowledgeDocumentedWildcards } from '../constructs/nag';
import { INTAKE_EVENT_PATTERNS } from '../event-patterns';
import { spokeExecutionStatements } from '../permissions';

export interface SpokeStackProps extends StackProps {
  /** The validated hub configuration. */
  readonly config: HubConfig;
}

/**
 * What every spoke account needs, in every served region: a rule forwarding the VPC tag and lifecycle events to the
 * hub bus, and the spoke execution role the hub's functions assume.
 *
 * The template is account- and region-agnostic (pseudo parameters only) and needs no CDK bootstrap: the StackSet
 * deploys it to the organization's OUs, and accounts outside the organization deploy the same template themselves.
 * The role is global, so only one of the regional stacks creates it: the one in the hub's region (or, if the hub's
 * region is not served, the first served region).
 */
export class SpokeStack extends Stack {
  readonly executionRole: Role;

  constructor(scope: Construct, id: string, props: SpokeStackProps) {
    super(scope, id, {
      // CLI credentials, no bootstrap bucket or roles: the template has no assets, so an account outside the
      // organization can `cdk deploy` it (or hand the synthesized template to CloudFormation) without bootstrapping.
      synthesizer: new LegacyStackSynthesizer(),
      analyticsReporting: false,
      description: `spokelink spoke (${props.config.prefix}): event forwarding to the hub and the spoke execution role`,
      ...props,
    });
    const { config } = props;
    const names = resourceNames(config);
    const hub = config.hub;

    const regions = servedRegions(config);
    // The hub's region (the only one a configuration may serve): exactly one role per account.
    const roleRegion = hub.region;
    const isRoleRegion = new CfnCondition(this, 'IsRoleRegion', {
      expression: Fn.conditionEquals(Aws.REGION, roleRegion),
    });
    // Trust: only the hub's function roles (the account alone would let any hub principal in), and only with the
    // external id. No aws:PrincipalOrgID condition: the principal is already pinned to one account and one role-name
    // pattern, which is narrower than "anyone in the organization", and the same template must work unchanged in
    // accounts outside the organization (organization.externalAccounts), where nothing else differs.
    this.executionRole = new Role(this, 'ExecutionRole', {
      roleName: config.spokeRole.name,
      description: 'spokelink: assumed by the hub workflow to attach this account VPCs to the hub',
      maxSessionDuration: Duration.hours(1),
      assumedBy: new AccountPrincipal(hub.accountId).withConditions({
        StringEquals: { 'sts:ExternalId': config.spokeRole.externalId },
        ArnLike: { 'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${hub.accountId}:role/${names.functionRolePattern}` },
      }),
      inlinePolicies: {
        spokelink: new PolicyDocument({
          statements: spokeExecutionStatements({ config, stack: this, regions }),
        }),
      },
    });
    (this.executionRole.node.defaultChild as CfnRole).cfnOptions.condition = isRoleRegion;
    const roleOutput = new CfnOutput(this, 'ExecutionRoleArn', { value: this.executionRole.roleArn });
    roleOutput.condition = isRoleRegion;

    // Forwarding: the same patterns as the hub's intake rules, to the hub bus, with a role allowed exactly that.
    const hubBus = EventBus.fromEventBusArn(this, 'HubBus', hubBusArn(config));
    const forwardingRole = new Role(this, 'ForwardingRole', {
      description: 'spokelink: lets EventBridge put VPC events on the hub bus',
      assumedBy: new ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      }),
    });
    const undelivered = deadLetterQueue(this, 'ForwardingDlq', 'VPC events the hub bus did not accept');
    for (const [name, pattern] of Object.entries(INTAKE_EVENT_PATTERNS)) {
      new Rule(this, `Forward${name.charAt(0).toUpperCase()}${name.slice(1)}`, {
        description: `spokelink: forward ${name} events to the hub`,
        eventPattern: toCdkEventPattern(pattern),
        targets: [new EventBusTarget(hubBus, { role: forwardingRole, deadLetterQueue: undelivered })],
      });
    }

    acknowledgeDocumentedWildcards(this);
  }
}
