import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ResourcePlaceholder, StateMachineSource } from '../workflow-sources';
import { kebabToPascal } from '../workflow-sources';
import { LOG_RETENTION } from './spokelink-function';

/** A hub resource an ASL placeholder resolves to, with the grant its use needs. */
export interface PlaceholderResource {
  readonly value: string;
  /** Grants the state machine role what a direct service integration on this resource needs. */
  grant(machine: StateMachine): void;
}

export interface WorkflowStateMachineProps {
  readonly source: StateMachineSource;
  readonly stateMachineName: string;
  /** Built functions by step name. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** ARN of a workflow's state machine, by id (known names: no dependency cycle). */
  stateMachineArn(id: string): string;
  /** Physical name of a workflow's state machine, by id. */
  stateMachineNameOf(id: string): string;
  readonly resources: Readonly<Record<ResourcePlaceholder, PlaceholderResource>>;
}

/**
 * A Standard state machine from an ASL file (`DefinitionBody.fromFile` + `definitionSubstitutions`), with X-Ray and
 * every event logged to its own log group. Its role may invoke exactly the functions its ASL references and use
 * exactly the resources it names.
 */
export class WorkflowStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  /** The substitutions given to CloudFormation, one per placeholder of the ASL file. */
  readonly substitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: WorkflowStateMachineProps) {
    super(scope, id);
    const { source } = props;
    const substitutions: Record<string, string> = {};
    for (const placeholder of source.placeholders) {
      switch (placeholder.kind) {
        case 'function':
          substitutions[placeholder.placeholder] = this.requireFunction(props, placeholder.name).functionArn;
          break;
        case 'stateMachine':
          substitutions[placeholder.placeholder] = props.stateMachineArn(placeholder.id);
          break;
        case 'resource':
          substitutions[placeholder.placeholder] = props.resources[placeholder.placeholder].value;
          break;
        case 'unknown':
          throw new Error(`${source.file}: unknown placeholder \${${placeholder.placeholder}}`);
      }
    }
    this.substitutions = substitutions;

    const logGroup = new LogGroup(this, 'Logs', { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(source.file),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      // Every event, but without payloads: inputs carry task tokens and spoke identifiers. The execution history
      // (90 days, IAM-protected) keeps the full data for audit and debugging.
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
      comment: `spokelink ${source.id} workflow (${kebabToPascal(source.id)})`,
    });

    for (const name of source.functions) this.requireFunction(props, name).grantInvoke(this.stateMachine);
    for (const resource of new Set(source.resources)) props.resources[resource].grant(this.stateMachine);
    const children = [...new Set(source.stateMachines)];
    if (children.length > 0) {
      this.stateMachine.addToRolePolicy(
        new PolicyStatement({
          sid: 'StartChildWorkflows',
          actions: ['states:StartExecution'],
          resources: children.map((child) => props.stateMachineArn(child)),
        }),
      );
      if (source.startsExecutionsSynchronously) this.grantSynchronousStart(props, children);
    }
  }

  private requireFunction(props: WorkflowStateMachineProps, name: string): IFunction {
    const fn = props.functions.get(name);
    if (!fn) throw new Error(`${props.source.file}: function "${name}" was not built`);
    return fn;
  }

  /** `states:startExecution.sync` polls the child and relies on a managed EventBridge rule. */
  private grantSynchronousStart(props: WorkflowStateMachineProps, children: string[]): void {
    const stack = Stack.of(this);
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: 'FollowChildExecutions',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: children.map((child) =>
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${props.stateMachineNameOf(child)}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: 'ManagedRuleForSyncExecutions',
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
          }),
        ],
      }),
    );
  }
}
