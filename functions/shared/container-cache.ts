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
