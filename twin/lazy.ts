/**
 * A module loaded on its first use and kept. The twin's service modules read each other's models through lazy
 * `require`s (they import one another: the graph stays acyclic at load time); a `require` on every call costs more
 * than most lookups it serves (each resolves the path again: under tsx, through the loader's hooks), so each lazy
 * module is required once. The exports object is kept, not its members, so a member is read when it is used.
 */
export function lazyModule<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}
