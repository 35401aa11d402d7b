/**
 * Caches that live as long as a Lambda container (module scope): SDK clients, spoke sessions, the parsed
 * configuration, zone names, Profile ids. A deployment starts new containers, so nothing cached survives it.
 *
 * The local runner starts every hub as a deployment: with cold caches (`resetContainerCaches`), so that a hub never
 * reads what another hub of the same process (another world) cached. Every such cache is made here.
 */

const caches = new Set<{ clear(): void }>();

/** A map that lives as long as the container (cleared by `resetContainerCaches`). */
export function containerCache<K, V>(): Map<K, V> {
  const cache = new Map<K, V>();
  caches.add(cache);
  return cache;
}

/** Forgets every container cache: a new deployment (the local runner's new hub), or a test. */
export function resetContainerCaches(): void {
  for (const cache of caches) cache.clear();
}

/**
 * A container cache of bounded size: at most `max` entries, and an entry not used for `idleMs` is forgotten; past
 * `max`, the least recently used goes first. For what a container gathers one of per tenant (a spoke session and its
 * clients for each VPC): a warm container serves many VPCs in an hour, and a plain map would keep every one of them.
 */
export class BoundedContainerCache<K, V> {
  /** In order of last use, oldest first (a Map keeps insertion order: a use moves its entry to the end). */
  private readonly entries = new Map<K, { value: V; usedAt: number }>();

  constructor(
    readonly max: number,
    readonly idleMs: number,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive whole number, not ${max}`);
    caches.add(this);
  }

  /** The entry of `key` (now used), unless it is absent or idle for longer than `idleMs`. */
  get(key: K, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (now - entry.usedAt > this.idleMs) return undefined;
    entry.usedAt = now;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Sets `key`, then forgets the idle entries and the least recently used past `max`. */
  set(key: K, value: V, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, usedAt: now });
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.max && now - entry.usedAt <= this.idleMs) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
