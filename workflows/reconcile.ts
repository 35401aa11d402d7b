import { kebabToPascal } from '../infra/workflow-sources';
import {
  type Catcher,
  choice,
  end,
  lambdaTask,
  on,
  pass,
  type Retrier,
  retrier,
  retryPolicy,
  type StateMachine,
  type Step,
  state,
  stateMachine,
  states,
} from './builder';

/** The reconcile workflow (docs/lifecycle.md): `statemachines/reconcile.asl.json` is generated from this file. */

/** The reconcile runs again on its schedule: its Lambda Tasks retry throttling less (2 s / 2 / 60 s / 8). */
const RECONCILE_RETRY = retryPolicy({ throttling: { attempts: 8, maxDelay: 60 } });

/** Errors of the Step Functions integration itself (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html). */
const START_EXECUTION_RETRY: Retrier = retrier(
  ['StepFunctions.ThrottlingException', 'StepFunctions.SdkClientException', 'StepFunctions.AWSStepFunctionsException'],
  { interval: 1, backoff: 2, maxDelay: 20, attempts: 6 },
);

/** One VPC's failure does not stop the others. */
const ITEM_FAILED: Catcher = on('States.ALL', 'ItemFailed');

/** Starts the workflow `id` and waits for it; a name already used means an earlier reconcile started it. */
function startWorkflow(name: string, id: 'onboard' | 'offboard'): Step {
  return state(name, {
    Type: 'Task',
    Comment:
      'Deterministic name: a repeated reconcile of an unchanged situation finds the execution already there. Waits for it (a failed workflow is reported by ItemFailed, the others go on).',
    Resource: 'arn:aws:states:::states:startExecution.sync:2',
    Parameters: {
      StateMachineArn: `\${${kebabToPascal(id)}StateMachineArn}`,
      'Name.$': '$.name',
      'Input.$': '$.input',
    },
    ResultSelector: { 'execution.$': '$.ExecutionArn', 'status.$': '$.Status' },
    // Each started workflow bounds itself; 25 hours is above the longest approval wait.
    TimeoutSeconds: 90000,
    Retry: [START_EXECUTION_RETRY],
    Catch: [on('StepFunctions.ExecutionAlreadyExistsException', 'AlreadyStarted'), ITEM_FAILED],
    End: true,
  });
}

const item = states(
  choice(
    'ChooseWork',
    [
      { Variable: '$.action', StringEquals: 'onboard', Next: 'StartOnboarding' },
      { Variable: '$.action', StringEquals: 'offboard', Next: 'StartOffboarding' },
    ],
    'ReportDrift',
  ),
  startWorkflow('StartOnboarding', 'onboard'),
  startWorkflow('StartOffboarding', 'offboard'),
  end(
    lambdaTask('ReportDrift', 'status', {
      comment: "Drift spokelink must not fix goes into the VPC's status detail.",
      parameters: {
        'status.$': '$.status',
        'detail.$': '$.detail',
        'executionName.$': '$$.Execution.Name',
        'executionArn.$': '$$.Execution.Id',
        'event.$': '$.input',
      },
      resultSelector: { 'reported.$': '$.written' },
      retry: RECONCILE_RETRY,
      catch: [ITEM_FAILED],
    }),
  ),
  end(
    pass('AlreadyStarted', {
      comment: 'Started by an earlier reconcile (names are unique per state machine for 90 days).',
      parameters: { 'alreadyStarted.$': '$.name' },
    }),
  ),
  end(
    pass('ItemFailed', {
      comment: "One VPC's failure does not stop the others; it is in the output and the next run tries again.",
      parameters: { 'vpcId.$': '$.vpcId', 'failed.$': '$.error' },
    }),
  ),
);

export const reconcile: StateMachine = stateMachine(
  'reconcile',
  'spokelink reconcile: started by the schedule with {"source":"schedule","maxConcurrency":N}; starts the onboardings and offboardings that lost events or configuration changes call for, and reports drift it must not fix (docs/lifecycle.md).',
  states(
    lambdaTask('FindWork', 'reconcile', {
      comment:
        'Desired (request tags, configuration) against actual (registry, AWS): the executions to start and the drift to report. Its input is the execution input ({source, maxConcurrency?}); maxConcurrency defaults to reconcile.maxConcurrency.',
      resultPath: '$.found',
      retry: RECONCILE_RETRY,
      next: 'StartMissingWork',
    }),
    state('StartMissingWork', {
      Type: 'Map',
      Comment:
        "Bounded: each iteration starts its workflow and waits for it to end (startExecution.sync:2), so at most maxConcurrency VPCs are worked on at a time and the spoke accounts' API rates are respected.",
      ItemsPath: '$.found.items',
      MaxConcurrencyPath: '$.found.maxConcurrency',
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'ChooseWork', States: item },
      ResultPath: '$.results',
      Next: 'Summarize',
    }),
    end(
      pass('Summarize', {
        parameters: {
          'summary.$': '$.found.summary',
          'drift.$': '$.found.drift',
          'deferred.$': '$.found.deferred',
          'headroom.$': '$.found.headroom',
          'results.$': '$.results',
        },
      }),
    ),
  ),
);
