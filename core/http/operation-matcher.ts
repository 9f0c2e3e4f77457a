export type MatchResult<Operation> =
  | { kind: 'matched'; operation: Operation; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: string[] }
  | { kind: 'not_found' };

interface Template<Operation> {
  regex: RegExp;
  names: string[];
  specificity: number;
  byMethod: Map<string, Operation>;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const normalize = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

/**
 * Routes a request to an operation of one contract version. Built once when the contract is
 * published: static paths are a map lookup, templated paths are tried most specific first with
 * regexes compiled here, never per request. HEAD falls back to GET.
 */
export class OperationMatcher<Operation extends { path: string; method: string }> {
  private readonly exact = new Map<string, Map<string, Operation>>();
  private readonly templates: Template<Operation>[] = [];

  constructor(operations: Operation[]) {
    const templates = new Map<string, Template<Operation>>();
    for (const operation of operations) {
      const method = operation.method.toUpperCase();
      if (!operation.path.includes('{')) {
        const path = normalize(operation.path);
        if (!this.exact.has(path)) this.exact.set(path, new Map());
        this.exact.get(path)?.set(method, operation);
        continue;
      }
      let template = templates.get(operation.path);
      if (!template) {
        const names: string[] = [];
        const pattern = operation.path
          .split(/(\{[^}]+\})/)
          .map((part) => {
            const param = /^\{([^}]+)\}$/.exec(part);
            if (!param) return escapeRegex(part);
            names.push(param[1]);
            return '([^/]+)';
          })
          .join('');
        template = { regex: new RegExp(`^${pattern}/?$`), names, specificity: operation.path.replace(/\{[^}]+\}/g, '').length, byMethod: new Map() };
        templates.set(operation.path, template);
      }
      template.byMethod.set(method, operation);
    }
    this.templates = [...templates.values()].sort((a, b) => b.specificity - a.specificity);
  }

  match(method: string, rawPath: string): MatchResult<Operation> {
    const path = normalize(rawPath);
    const allowed = new Set<string>();
    const exact = this.exact.get(path);
    if (exact) {
      const operation = exact.get(method) ?? (method === 'HEAD' ? exact.get('GET') : undefined);
      if (operation) return { kind: 'matched', operation, params: {} };
      // A concrete path owns its URL (OpenAPI matches it before any template): another method is a
      // 405 here, never a template's operation with the path's last segment as its id.
      for (const m of exact.keys()) allowed.add(m);
      if (allowed.has('GET')) allowed.add('HEAD');
      return { kind: 'method_not_allowed', allowed: [...allowed] };
    }
    for (const template of this.templates) {
      const found = template.regex.exec(path);
      if (!found) continue;
      const operation = template.byMethod.get(method) ?? (method === 'HEAD' ? template.byMethod.get('GET') : undefined);
      if (operation) {
        const params: Record<string, string> = {};
        template.names.forEach((name, i) => {
          params[name] = safeDecode(found[i + 1]);
        });
        return { kind: 'matched', operation, params };
      }
      for (const m of template.byMethod.keys()) allowed.add(m);
    }
    // HEAD is served wherever GET is (above), so a 405 says so.
    if (allowed.has('GET')) allowed.add('HEAD');
    return allowed.size > 0 ? { kind: 'method_not_allowed', allowed: [...allowed] } : { kind: 'not_found' };
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
