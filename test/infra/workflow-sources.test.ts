import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyPlaceholder,
  kebabToPascal,
  pascalToKebab,
  placeholdersOf,
  planWorkflow,
} from '../../infra/workflow-sources';
import { FIXTURE_FUNCTIONS, FIXTURE_STATE_MACHINES } from './helpers';

/** A scratch copy of the fixtures that a test may break. */
function scratch(): { functions: string; machines: string; dispose: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'spokelink-infra-'));
  const functions = join(root, 'functions');
  const machines = join(root, 'statemachines');
  cpSync(FIXTURE_FUNCTIONS, functions, { recursive: true });
  cpSync(FIXTURE_STATE_MACHINES, machines, { recursive: true });
  return { functions, machines, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** `${name}`, as written in an ASL file. */
const ph = (name: string) => `\${${name}}`;

function asl(resource: string): string {
  return JSON.stringify({ StartAt: 'Step', States: { Step: { Type: 'Task', Resource: resource, End: true } } });
}

describe('Workflow sources: naming', () => {
  it('maps PascalCase placeholders to kebab-case folders and back', () => {
    expect(pascalToKebab('TransitGateway')).toBe('transit-gateway');
    expect(pascalToKebab('Validate')).toBe('validate');
    expect(kebabToPascal('transit-gateway')).toBe('TransitGateway');
    expect(kebabToPascal('onboard')).toBe('Onboard');
  });

  it('classifies function, state machine and resource placeholders', () => {
    expect(classifyPlaceholder('TransitGatewayFunctionArn')).toEqual({
      kind: 'function',
      placeholder: 'TransitGatewayFunctionArn',
      name: 'transit-gateway',
    });
    expect(classifyPlaceholder('OffboardStateMachineArn')).toEqual({
      kind: 'stateMachine',
      placeholder: 'OffboardStateMachineArn',
      id: 'offboard',
    });
    expect(classifyPlaceholder('RegistryTableName')).toEqual({ kind: 'resource', placeholder: 'RegistryTableName' });
    expect(classifyPlaceholder('FunctionArn').kind).toBe('unknown');
    expect(classifyPlaceholder('validateFunctionArn').kind).toBe('unknown');
    expect(classifyPlaceholder('RegistryTableArn').kind).toBe('unknown');
  });

  it('finds each placeholder once, ignoring JSONPath and intrinsic functions', () => {
    const text = `{"a":"${ph('ValidateFunctionArn')}","b":"${ph('ValidateFunctionArn')}","c.$":"States.Format('{}', $.x)"}`;
    expect(placeholdersOf(text)).toEqual(['ValidateFunctionArn']);
  });
});

describe('Workflow sources: plan', () => {
  it('builds every function the fixture ASL files reference, plus the intake, the decision entry point, the dispatcher and the notifier', () => {
    const plan = planWorkflow(FIXTURE_FUNCTIONS, FIXTURE_STATE_MACHINES);
    expect(plan.functions).toEqual([
      'approval',
      'consumer',
      'decision',
      'dispatch',
      'intake',
      'lease',
      'notify-failures',
      'reconcile',
      'records',
      'rollback',
      'routes',
      'status',
      'transit-gateway',
      'validate',
      'zones',
    ]);
    expect(plan.stateMachines.map((m) => m.id)).toEqual(['offboard', 'onboard', 'reconcile']);
    const reconcile = plan.stateMachines.find((m) => m.id === 'reconcile')!;
    expect(reconcile.stateMachines).toEqual(['onboard', 'offboard']);
    expect(reconcile.startsExecutionsSynchronously).toBe(false);
  });

  it('does not build a function that no ASL file references', () => {
    const dirs = scratch();
    try {
      mkdirSync(join(dirs.functions, 'unused'));
      writeFileSync(join(dirs.functions, 'unused', 'handler.ts'), 'export const handler = async () => 1;\n');
      expect(planWorkflow(dirs.functions, dirs.machines).functions).not.toContain('unused');
    } finally {
      dirs.dispose();
    }
  });

  it('names the unknown placeholder and its file', () => {
    const dirs = scratch();
    try {
      writeFileSync(join(dirs.machines, 'onboard.asl.json'), asl(ph('RegistryTableArn')));
      expect(() => planWorkflow(dirs.functions, dirs.machines)).toThrow(
        /onboard\.asl\.json: placeholder \$\{RegistryTableArn\} matches no function, state machine or resource/,
      );
    } finally {
      dirs.dispose();
    }
  });

  it('names a referenced function whose handler entry is missing, with the expected path', () => {
    const dirs = scratch();
    try {
      writeFileSync(join(dirs.machines, 'onboard.asl.json'), asl(ph('AllocateCidrFunctionArn')));
      expect(() => planWorkflow(dirs.functions, dirs.machines)).toThrow(
        /function "allocate-cidr": entry .*allocate-cidr\/handler\.ts is missing \(referenced as \$\{AllocateCidrFunctionArn\} by .*onboard\.asl\.json\)/,
      );
    } finally {
      dirs.dispose();
    }
  });

  it('requires the intake entry even though no ASL file references it', () => {
    const dirs = scratch();
    try {
      rmSync(join(dirs.functions, 'intake'), { recursive: true });
      expect(() => planWorkflow(dirs.functions, dirs.machines)).toThrow(/function "intake": .* \(always built\)/);
    } finally {
      dirs.dispose();
    }
  });

  it('requires the onboard and offboard workflows the intake starts', () => {
    const dirs = scratch();
    try {
      rmSync(join(dirs.machines, 'offboard.asl.json'));
      expect(() => planWorkflow(dirs.functions, dirs.machines)).toThrow(
        /offboard\.asl\.json is missing: the intake starts it/,
      );
    } finally {
      dirs.dispose();
    }
  });

  it('names a state machine placeholder whose ASL file does not exist', () => {
    const dirs = scratch();
    try {
      writeFileSync(join(dirs.machines, 'reconcile.asl.json'), asl(ph('RepairStateMachineArn')));
      expect(() => planWorkflow(dirs.functions, dirs.machines)).toThrow(
        /\$\{RepairStateMachineArn\} refers to .*repair\.asl\.json, which does not exist/,
      );
    } finally {
      dirs.dispose();
    }
  });

  it('reports every problem at once', () => {
    const dirs = scratch();
    try {
      writeFileSync(join(dirs.machines, 'onboard.asl.json'), asl(ph('Nope')));
      writeFileSync(join(dirs.machines, 'offboard.asl.json'), '{ not json');
      const run = () => planWorkflow(dirs.functions, dirs.machines);
      expect(run).toThrow(/\$\{Nope\}/);
      expect(run).toThrow(/offboard\.asl\.json: not valid JSON/);
    } finally {
      dirs.dispose();
    }
  });

  it('detects synchronous child executions, which need extra permissions', () => {
    const dirs = scratch();
    try {
      writeFileSync(
        join(dirs.machines, 'reconcile.asl.json'),
        JSON.stringify({
          StartAt: 'Run',
          States: {
            Run: {
              Type: 'Task',
              Resource: 'arn:aws:states:::states:startExecution.sync:2',
              Parameters: { StateMachineArn: ph('OnboardStateMachineArn') },
              End: true,
            },
          },
        }),
      );
      const reconcile = planWorkflow(dirs.functions, dirs.machines).stateMachines.find((m) => m.id === 'reconcile');
      expect(reconcile?.startsExecutionsSynchronously).toBe(true);
    } finally {
      dirs.dispose();
    }
  });
});
