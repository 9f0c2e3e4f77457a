export class PluginGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginGraphError';
  }
}

/**
 * Orders plugins so each comes after everything it requires. A missing dependency or a cycle is a
 * deployment mistake, so it fails with the plugins involved named rather than loading half a graph.
 */
export function orderByRequires<T extends { id: string; requires?: string[] }>(plugins: T[]): T[] {
  const byId = new Map(plugins.map((p) => [p.id, p]));
  for (const plugin of plugins) {
    for (const dependency of plugin.requires ?? []) {
      if (!byId.has(dependency)) throw new PluginGraphError(`plugin ${plugin.id} requires ${dependency}, which is not available`);
    }
  }
  const ordered: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (plugin: T, path: string[]) => {
    const seen = state.get(plugin.id);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(plugin.id)), plugin.id];
      throw new PluginGraphError(`plugins require each other in a cycle: ${cycle.join(' -> ')}`);
    }
    state.set(plugin.id, 'visiting');
    for (const dependency of plugin.requires ?? []) visit(byId.get(dependency) as T, [...path, plugin.id]);
    state.set(plugin.id, 'done');
    ordered.push(plugin);
  };
  for (const plugin of [...plugins].sort((a, b) => a.id.localeCompare(b.id))) visit(plugin, []);
  return ordered;
}

/** Every plugin that depends on `id`, directly or not, in unload order (dependents first). */
export function dependentsOf<T extends { id: string; requires?: string[] }>(id: string, plugins: T[]): T[] {
  const result: T[] = [];
  const walk = (target: string) => {
    for (const plugin of plugins) {
      if (plugin.requires?.includes(target) && !result.includes(plugin)) {
        walk(plugin.id);
        result.push(plugin);
      }
    }
  };
  walk(id);
  return result;
}
