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
import { type HubConfig, regionalConfig, type SpokeAccess, servedRegions, spokeRoleName } from '#shared/config';
import { hubBusArn, resourceNames } from '../config';
import { toCdkEventPattern } from '../constructs/cdk-event-pattern';
import { deadLetterQueue } from '../constructs/dead-letter-queue';
import { acknowledgeDocumentedWildcards } from '../constructs/nag';
import { INTAKE_EVENT_PATTERNS } from '../event-patterns';
import { spokeExecutionStatements, spokeReadStatements, spokeRoleUsers } from '../permissions';

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
  /** The read-only role `<spokeRole.name>-read`, assumed by the steps that only describe the VPC. */
  readonly readRole: Role;

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
    const hub = config.hub;

    const regions = servedRegions(config);
    // The hub's region (the only one a configuration may serve): exactly one role per account.
    const roleRegion = hub.region;
    const isRoleRegion = new CfnCondition(this, 'IsRoleRegion', {
      expression: Fn.conditionEquals(Aws.REGION, roleRegion),
    });
    // Trust: only the roles of the hub steps that need this role (named one by one, infra/permissions.ts
    // spokeAccess), and only with the external id. An AccountPrincipal with an aws:PrincipalArn condition, not the
    // role ARNs as principals: IAM would turn those into the roles' unique ids, so a redeployed hub role (same name,
    // new id) would lose the trust, and the spoke stack could not be deployed before the hub. No aws:PrincipalOrgID
    // condition: the principal is pinned to exact roles of one account, which is narrower, and the same template must
    // work unchanged in accounts outside the organization (organization.externalAccounts).
    const trustOf = (access: SpokeAccess) =>
      new AccountPrincipal(hub.accountId).withConditions({
        StringEquals: { 'sts:ExternalId': config.spokeRole.externalId },
        ArnEquals: {
          // The function roles of every regional hub (their names carry the region when several are served).
          'aws:PrincipalArn': regions.flatMap((region) =>
            spokeRoleUsers(access).map(
              (name) =>
                `arn:${Aws.PARTITION}:iam::${hub.accountId}:role/${resourceNames(regionalConfig(config, region)).functionRole(name)}`,
            ),
          ),
        },
      });
    this.executionRole = new Role(this, 'ExecutionRole', {
      roleName: spokeRoleName(config, 'write'),
      description: 'spokelink: assumed by the hub workflow to attach this account VPCs to the hub',
      maxSessionDuration: Duration.hours(1),
      assumedBy: trustOf('write'),
      inlinePolicies: {
        spokelink: new PolicyDocument({
          statements: spokeExecutionStatements({ config, stack: this, regions }),
        }),
      },
    });
    this.readRole = new Role(this, 'ReadRole', {
      roleName: spokeRoleName(config, 'read'),
      description: 'spokelink: assumed by the hub read-only steps to describe this account VPCs',
      maxSessionDuration: Duration.hours(1),
      assumedBy: trustOf('read'),
      inlinePolicies: { spokelink: new PolicyDocument({ statements: spokeReadStatements(config) }) },
    });
    for (const role of [this.executionRole, this.readRole]) {
      (role.node.defaultChild as CfnRole).cfnOptions.condition = isRoleRegion;
    }
    const roleOutput = new CfnOutput(this, 'ExecutionRoleArn', { value: this.executionRole.roleArn });
    roleOutput.condition = isRoleRegion;
    const readOutput = new CfnOutput(this, 'ReadRoleArn', { value: this.readRole.roleArn });
    readOutput.condition = isRoleRegion;

    // Forwarding: the same patterns as the hub's intake rules, to the hub bus, with a role allowed exactly that. Tag
    // and CIDR events are regional, and so are the hubs: with several served regions, each region's instance of this
    // stack forwards to the bus of its own region's hub (workflows run in the region they serve).
    const busRegion = regions.length > 1 ? Aws.REGION : hub.region;
    const hubBus = EventBus.fromEventBusArn(this, 'HubBus', hubBusArn(config, busRegion));
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
