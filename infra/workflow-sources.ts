import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Reads the workflow sources (ASL files and Lambda entries) and derives what the hub stack must build, before any
 * construct exists, so that every mistake is reported at once and by name.
 *
 * The contract with the workflow authors:
 * - every `statemachines/<id>.asl.json` becomes the Standard state machine `<prefix>-<id>`;
 * - `${XyzFunctionArn}` in an ASL file means the Lambda `functions/xyz/handler.ts` (PascalCase <-> kebab-case:
 *   `${TransitGatewayFunctionArn}` <-> `functions/transit-gateway/handler.ts`), built and invokable by that machine;
 * - `${XyzStateMachineArn}` means the machine of `statemachines/xyz.asl.json`;
 * - `${ApprovalTopicArn}`, `${FailureTopicArn}`, `${RegistryTableName}` are hub resources;
 * - anything else is an error, as is a referenced function whose entry file is missing.
 */

/** Placeholders that name hub resources rather than functions or state machines. */
export const RESOURCE_PLACEHOLDERS = ['ApprovalTopicArn', 'FailureTopicArn', 'RegistryTableName'] as const;
export type ResourcePlaceholder = (typeof RESOURCE_PLACEHOLDERS)[number];

/** Functions built whether or not an ASL file references them. */
export const ALWAYS_BUILT_FUNCTIONS = ['decision', 'intake', 'dispatch', 'notify-failures'] as const;

/** State machines the intake starts: they must exist. */
export const REQUIRED_STATE_MACHINES = ['onboard', 'offboard'] as const;

/** The state machine the schedule starts, when its ASL file exists. */
export const RECONCILE_STATE_MACHINE = 'reconcile';

const FUNCTION_SUFFIX = 'FunctionArn';
const STATE_MACHINE_SUFFIX = 'StateMachineArn';
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PASCAL = /^[A-Z][a-z0-9]*([A-Z][a-z0-9]*)*$/;

/** `transit-gateway` -> `TransitGateway`. */
export function kebabToPascal(kebab: string): string {
  if (!KEBAB.test(kebab)) throw new Error(`"${kebab}" is not a kebab-case name (lowercase words joined by "-")`);
  return kebab
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** `TransitGateway` -> `transit-gateway`; undefined when the name is not PascalCase. */
export function pascalToKebab(pascal: string): string | undefined {
  if (!PASCAL.test(pascal)) return undefined;
  return pascal.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Every distinct `${Name}` placeholder of an ASL text, in order of first appearance. */
export function placeholdersOf(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/\$\{([A-Za-z][A-Za-z0-9]*)\}/g)) names.add(match[1]!);
  return [...names];
}

export type Placeholder =
  | { kind: 'function'; placeholder: string; name: string }
  | { kind: 'stateMachine'; placeholder: string; id: string }
  | { kind: 'resource'; placeholder: ResourcePlaceholder }
  | { kind: 'unknown'; placeholder: string };

/** What a placeholder refers to, by its name alone. */
export function classifyPlaceholder(placeholder: string): Placeholder {
  if ((RESOURCE_PLACEHOLDERS as readonly string[]).includes(placeholder)) {
    return { kind: 'resource', placeholder: placeholder as ResourcePlaceholder };
  }
  if (placeholder.endsWith(STATE_MACHINE_SUFFIX)) {
    const id = pascalToKebab(placeholder.slice(0, -STATE_MACHINE_SUFFIX.length));
    if (id) return { kind: 'stateMachine', placeholder, id };
  } else if (placeholder.endsWith(FUNCTION_SUFFIX)) {
    const name = pascalToKebab(placeholder.slice(0, -FUNCTION_SUFFIX.length));
    if (name) return { kind: 'function', placeholder, name };
  }
  return { kind: 'unknown', placeholder };
}

export interface StateMachineSource {
  /** Kebab-case id from the file name (`onboard.asl.json` -> `onboard`). */
  readonly id: string;
  readonly file: string;
  readonly placeholders: readonly Placeholder[];
  /** Functions this machine invokes (kebab-case names). */
  readonly functions: readonly string[];
  /** State machines this machine starts. */
  readonly stateMachines: readonly string[];
  readonly resources: readonly ResourcePlaceholder[];
  /** Starts another execution and waits for it (`states:startExecution.sync`): needs the sync permissions. */
  readonly startsExecutionsSynchronously: boolean;
}

export interface WorkflowPlan {
  readonly stateMachines: readonly StateMachineSource[];
  /** Every function to build, sorted: ASL-referenced ones plus the always-built ones. */
  readonly functions: readonly string[];
  readonly functionsDir: string;
  readonly stateMachinesDir: string;
}

/** Path of a function's entry file. */
export function functionEntry(functionsDir: string, name: string): string {
  return join(functionsDir, name, 'handler.ts');
}

/**
 * Reads `stateMachinesDir/*.asl.json` and checks them against `functionsDir`. Throws one error listing every
 * problem: unknown placeholders, missing handler entries, references to absent state machines, invalid JSON.
 */
export function planWorkflow(functionsDir: string, stateMachinesDir: string): WorkflowPlan {
  const problems: string[] = [];
  const show = (path: string) => relative(process.cwd(), path) || path;

  if (!existsSync(stateMachinesDir)) {
    throw new Error(`spokelink workflow: state machine folder ${show(stateMachinesDir)} does not exist`);
  }
  const files = readdirSync(stateMachinesDir)
    .filter((file) => file.endsWith('.asl.json'))
    .sort();

  const machines: StateMachineSource[] = [];
  for (const file of files) {
    const path = join(stateMachinesDir, file);
    const id = file.slice(0, -'.asl.json'.length);
    if (!KEBAB.test(id)) {
      problems.push(`${show(path)}: the file name must be kebab-case (<id>.asl.json), e.g. onboard.asl.json`);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    try {
      JSON.parse(text);
    } catch (error) {
      problems.push(`${show(path)}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const placeholders = placeholdersOf(text).map(classifyPlaceholder);
    for (const p of placeholders) {
      if (p.kind === 'unknown') {
        problems.push(
          `${show(path)}: placeholder \${${p.placeholder}} matches no function, state machine or resource ` +
            `(use \${<PascalName>FunctionArn} for functions/<kebab-name>/handler.ts, ` +
            `\${<PascalId>StateMachineArn} for statemachines/<kebab-id>.asl.json, or one of ` +
            `${RESOURCE_PLACEHOLDERS.map((r) => `\${${r}}`).join(', ')})`,
        );
      }
    }
    machines.push({
      id,
      file: path,
      placeholders,
      functions: placeholders.flatMap((p) => (p.kind === 'function' ? [p.name] : [])),
      stateMachines: placeholders.flatMap((p) => (p.kind === 'stateMachine' ? [p.id] : [])),
      resources: placeholders.flatMap((p) => (p.kind === 'resource' ? [p.placeholder] : [])),
      startsExecutionsSynchronously: /arn:[a-z-]+:states:::states:startExecution\.sync/.test(text),
    });
  }

  const machineIds = new Set(machines.map((m) => m.id));
  for (const required of REQUIRED_STATE_MACHINES) {
    if (!machineIds.has(required)) {
      problems.push(`${show(join(stateMachinesDir, `${required}.asl.json`))} is missing: the intake starts it`);
    }
  }
  for (const machine of machines) {
    for (const id of machine.stateMachines) {
      if (!machineIds.has(id)) {
        problems.push(
          `${show(machine.file)}: \${${kebabToPascal(id)}StateMachineArn} refers to ` +
            `${show(join(stateMachinesDir, `${id}.asl.json`))}, which does not exist`,
        );
      }
    }
  }

  const functions = [...new Set([...ALWAYS_BUILT_FUNCTIONS, ...machines.flatMap((m) => m.functions)])].sort();
  for (const name of functions) {
    const entry = functionEntry(functionsDir, name);
    if (!existsSync(entry)) {
      const users = machines.filter((m) => m.functions.includes(name)).map((m) => show(m.file));
      const why = users.length > 0 ? `referenced as \${${kebabToPascal(name)}FunctionArn} by ${users.join(', ')}` : '';
      problems.push(`function "${name}": entry ${show(entry)} is missing${why ? ` (${why})` : ' (always built)'}`);
    }
  }

  if (problems.length > 0) {
    throw new Error(`spokelink workflow sources are inconsistent:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return { stateMachines: machines, functions, functionsDir, stateMachinesDir };
}
