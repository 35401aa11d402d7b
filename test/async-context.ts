/**
 * Before each test file of a jest worker (test/setup-async-context.ts): the AsyncLocalStorage instances that earlier
 * files of the worker enabled are disabled.
 *
 * On Node.js 20 an enabled AsyncLocalStorage stays in a process-wide list until `disable()`, and every promise the
 * process creates runs a hook that visits each instance of that list (node:async_hooks, `storageHook`). Jest loads
 * a test file's modules afresh but `node:async_hooks` once per worker, so each file left its own instances enabled:
 * jest-circus's test context and the local Lambda's (`local/lambda.ts`), at least. The list grew with every file a
 * worker ran, and the simulations, which create promises by the million, ran slower file after file (a loop of
 * 300,000 awaits: 66 ms with one instance enabled, 1.8 s with 50, 4.2 s with 150; docs/testing.md).
 *
 * The instances are recorded when they are first used (`run`, `enterWith`), on the worker's shared `node:async_hooks`
 * module; the next file's setup disables them: by then the file that used them has ended. Node.js 24 keeps the
 * stores in the async context frame instead of a hook (no list to grow), where this does nothing useful and no harm.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface Recorder {
  /** Instances used since the current file started. */
  used: Set<AsyncLocalStorage<unknown>>;
}

const RECORDER = Symbol.for('spokelink.test.asyncLocalStorages');

type Patched = typeof AsyncLocalStorage & { [RECORDER]?: Recorder };

function recorder(): Recorder {
  const cls = AsyncLocalStorage as Patched;
  const existing = cls[RECORDER];
  if (existing) return existing;
  const created: Recorder = { used: new Set() };
  cls[RECORDER] = created;
  const proto = AsyncLocalStorage.prototype as unknown as Record<
    'run' | 'enterWith',
    (this: AsyncLocalStorage<unknown>, ...args: unknown[]) => unknown
  >;
  for (const method of ['run', 'enterWith'] as const) {
    const original = proto[method];
    proto[method] = function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
      created.used.add(this);
      return original.apply(this, args);
    };
  }
  return created;
}

/** Disables what earlier files of this worker enabled; returns how many. */
export function disableEarlierFilesStorages(): number {
  const r = recorder();
  const count = r.used.size;
  for (const storage of r.used) storage.disable();
  r.used.clear();
  return count;
}

/** The instances used since this file started. */
export function storagesInUse(): ReadonlySet<AsyncLocalStorage<unknown>> {
  return recorder().used;
}
