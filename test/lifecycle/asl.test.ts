import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The lifecycle ASL files' shape: what the workflow tests on the twin cannot see at a glance. */

const ROOT = join(__dirname, '..', '..');
type State = Record<string, unknown> & { Type: string };
interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}
interface Retrier {
  ErrorEquals: string[];
  JitterStrategy?: string;
  BackoffRate?: number;
}

function load(id: string) {
  return JSON.parse(readFileSync(join(ROOT, 'statemachines', `${id}.asl.json`), 'utf8')) as {
    StartAt: string;
    States: Record<string, State>;
  };
}

function allStates(states: Record<string, State>): { name: string; state: State; scope: Record<string, State> }[] {
  return Object.entries(states).flatMap(([name, state]) => [
    { name, state, scope: states },
    ...((state.Branches as { States: Record<string, State> }[] | undefined) ?? []).flatMap((b) => allStates(b.States)),
    ...(state.ItemProcessor ? allStates((state.ItemProcessor as { States: Record<string, State> }).States) : []),
  ]);
}

describe.each(['offboard', 'reconcile'])('ASL: %s.asl.json', (id) => {
  const definition = load(id);
  const states = allStates(definition.States);
  const tasks = states.filter((s) => s.state.Type === 'Task');

  it('uses unique state names and points every transition at a state of its scope', () => {
    const names = states.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const { name, state, scope } of states) {
      const targets = [
        state.Next,
        state.Default,
        ...((state.Catch as Catcher[] | undefined) ?? []).map((c) => c.Next),
        ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ].filter((t): t is string => typeof t === 'string');
      for (const target of targets) expect({ from: name, to: target, ok: target in scope }).toMatchObject({ ok: true });
    }
  });

  it('gives every Task a timeout and retries throttling with backoff and full jitter, never States.ALL', () => {
    for (const { name, state } of tasks) {
      expect({ name, timeout: typeof state.TimeoutSeconds }).toEqual({ name, timeout: 'number' });
      const retriers = (state.Retry as Retrier[] | undefined) ?? [];
      expect(retriers.length).toBeGreaterThan(0);
      for (const r of retriers) {
        expect(r.ErrorEquals).not.toContain('States.ALL');
        expect({ name, jitter: r.JitterStrategy }).toEqual({ name, jitter: 'FULL' });
      }
    }
  });

  it('names functions that exist (functions/<kebab>/handler.ts)', () => {
    const text = readFileSync(join(ROOT, 'statemachines', `${id}.asl.json`), 'utf8');
    for (const [, pascal] of text.matchAll(/\$\{([A-Za-z]+)FunctionArn\}/g)) {
      const kebab = pascal!.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
      expect(existsSync(join(ROOT, 'functions', kebab, 'handler.ts'))).toBe(true);
    }
  });
});

describe('ASL: offboard.asl.json order', () => {
  const definition = load('offboard');
  const path: string[] = [];
  for (let name: string | undefined = definition.StartAt; name; ) {
    path.push(name);
    const state: State = definition.States[name]!;
    name =
      state.Type === 'Choice' ? (state.Choices as { Next: string }[])[0]!.Next : (state.Next as string | undefined);
  }

  it('removes the routes before the attachment they go through, and archives only after every removal', () => {
    expect(path).toEqual([
      'WrapTriggerEvent',
      'AcquireLease',
      'PlanOffboarding',
      'WithdrawPendingApproval',
      'CheckSomethingToRemove',
      'RecordOffboarding',
      'SetStatusOffboarding',
      'RemoveSpokeRoutes',
      'RemoveZoneAssociations',
      'RemoveEndpointAccess',
      'DeleteAttachment',
      'UnshareTransitGateway',
      'ArchiveMembership',
      'SetStatusDisconnected',
      'ReleaseLease',
      'Disconnected',
    ]);
  });

  it('sends every removal failure to the failure path, naming the step', () => {
    for (const name of path.filter((n) => /^(Remove|Revoke|Delete|Unshare|Archive|Record)/.test(n))) {
      const catchAll = (definition.States[name]!.Catch as Catcher[]).find((c) => c.ErrorEquals.includes('States.ALL'));
      expect({ name, catchAll }).toEqual({
        name,
        catchAll: { ErrorEquals: ['States.ALL'], ResultPath: `$.failure.${name}`, Next: 'RecordFailure' },
      });
    }
  });
});
