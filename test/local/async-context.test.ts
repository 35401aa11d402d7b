import { AsyncLocalStorage } from 'node:async_hooks';
import { disableEarlierFilesStorages, storagesInUse } from '../async-context';

/**
 * test/setup-async-context.ts (test/async-context.ts): a jest worker no longer carries the AsyncLocalStorage instances of the files it ran
 * before (each one visited by every promise the process creates, on Node.js 20).
 */
describe('the AsyncLocalStorage instances of earlier test files', () => {
  it('are recorded when used, and disabled by the next file’s setup', async () => {
    const earlier = new AsyncLocalStorage<string>();
    const seen = await earlier.run('earlier file', async () => {
      await Promise.resolve();
      return earlier.getStore();
    });
    expect(seen).toBe('earlier file');
    earlier.enterWith('still entered');
    expect(storagesInUse().has(earlier)).toBe(true);

    // What the setup of the next file does (here it also disables jest's own context of this file, which its next
    // test enables again).
    expect(disableEarlierFilesStorages()).toBeGreaterThanOrEqual(1);

    expect(storagesInUse().has(earlier)).toBe(false);
    // Disabled: no store, and none propagated to the promises created from here on.
    expect(earlier.getStore()).toBeUndefined();
    await expect(Promise.resolve().then(() => earlier.getStore())).resolves.toBeUndefined();
  });

  it('work again when used again (a disabled instance is enabled by its next run)', () => {
    const storage = new AsyncLocalStorage<number>();
    storage.run(1, () => undefined);
    disableEarlierFilesStorages();
    expect(storage.run(2, () => storage.getStore())).toBe(2);
    expect(storagesInUse().has(storage)).toBe(true);
  });
});
