export type MatchResult<Operation> =
  | { kind: 'matched'; operation: Operation; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: string[] }
  | { kind: 'not_found' };

interface Template<Operation> {
  names: string[];
  /** Characters outside parameters: the more, the more specific (OpenAPI prefers concrete paths). */
  specificity: number;
  /** Order of appearance, the tie-breaker between equally specific templates. */
  order: number;
  byMethod: Map<string, Operation>;
}

/** A segment holding parameters: `{id}` takes any non-empty segment, `{id}.{format}` needs its regex. */
interface ParamSegment<Operation> {
  regex?: RegExp;
  node: TrieNode<Operation>;
}

interface TrieNode<Operation> {
  literal: Map<string, TrieNode<Operation>>;
  params: ParamSegment<Operation>[];
  templates: Template<Operation>[];
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const normalize = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
const newNode = <Operation>(): TrieNode<Operation> => ({ literal: new Map(), params: [], templates: [] });

/**
 * Routes a request to an operation of one contract version. Built once when the contract is
 * published: static paths are a map lookup; templated paths sit in a tree of path segments, so a
 * request walks its own segments instead of trying every template's regex. A parameter never spans
 * a `/`, so a template matches exactly when each of its segments does; of the templates that match,
 * the most specific (most characters outside parameters) with the request's method wins. HEAD falls
 * back to GET.
 */
export class OperationMatcher<Operation extends { path: string; method: string }> {
  private readonly exact = new Map<string, Map<string, Operation>>();
  private readonly root: TrieNode<Operation> = newNode();

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
        template = { names: [], specificity: operation.path.replace(/\{[^}]+\}/g, '').length, order: templates.size, byMethod: new Map() };
        templates.set(operation.path, template);
        this.insert(normalize(operation.path), template);
      }
      template.byMethod.set(method, operation);
    }
  }

  private insert(path: string, template: Template<Operation>): void {
    let node = this.root;
    for (const segment of path.split('/')) {
      if (!segment.includes('{')) {
        let next = node.literal.get(segment);
        if (!next) {
          next = newNode();
          node.literal.set(segment, next);
        }
        node = next;
        continue;
      }
      const whole = /^\{([^}]+)\}$/.exec(segment);
      let regex: RegExp | undefined;
      if (whole) {
        template.names.push(whole[1]);
      } else {
        const pattern = segment
          .split(/(\{[^}]+\})/)
          .map((part) => {
            const param = /^\{([^}]+)\}$/.exec(part);
            if (!param) return escapeRegex(part);
            template.names.push(param[1]);
            return '([^/]+)';
          })
          .join('');
        regex = new RegExp(`^${pattern}$`);
      }
      let param = node.params.find((p) => p.regex?.source === regex?.source);
      if (!param) {
        param = { regex, node: newNode() };
        node.params.push(param);
      }
      node = param.node;
    }
    node.templates.push(template);
  }

  /** Every template matching the segments from `index` on, with the raw values of its parameters. */
  private collect(node: TrieNode<Operation>, segments: string[], index: number, values: string[], found: [Template<Operation>, string[]][]): void {
    if (index === segments.length) {
      for (const template of node.templates) found.push([template, values]);
      return;
    }
    const segment = segments[index];
    const literal = node.literal.get(segment);
    if (literal) this.collect(literal, segments, index + 1, values, found);
    if (segment === '') return;
    for (const param of node.params) {
      if (!param.regex) {
        this.collect(param.node, segments, index + 1, [...values, segment], found);
        continue;
      }
      const matched = param.regex.exec(segment);
      if (matched) this.collect(param.node, segments, index + 1, [...values, ...matched.slice(1)], found);
    }
  }

  match(method: string, rawPath: string): MatchResult<Operation> {
    const path = normalize(rawPath);
    const exact = this.exact.get(path);
    if (exact) {
      const operation = exact.get(method) ?? (method === 'HEAD' ? exact.get('GET') : undefined);
      if (operation) return { kind: 'matched', operation, params: {} };
      // A concrete path owns its URL (OpenAPI matches it before any template): another method is a
      // 405 here, never a template's operation with the path's last segment as its id.
      const allowed = new Set(exact.keys());
      if (allowed.has('GET')) allowed.add('HEAD');
      return { kind: 'method_not_allowed', allowed: [...allowed] };
    }
    const found: [Template<Operation>, string[]][] = [];
    this.collect(this.root, path.split('/'), 0, [], found);
    if (found.length === 0) return { kind: 'not_found' };
    if (found.length > 1) found.sort(([a], [b]) => b.specificity - a.specificity || a.order - b.order);
    const allowed = new Set<string>();
    for (const [template, values] of found) {
      const operation = template.byMethod.get(method) ?? (method === 'HEAD' ? template.byMethod.get('GET') : undefined);
      if (operation) {
        const params: Record<string, string> = {};
        for (let i = 0; i < template.names.length; i++) params[template.names[i]] = safeDecode(values[i]);
        return { kind: 'matched', operation, params };
      }
      for (const m of template.byMethod.keys()) allowed.add(m);
    }
    // HEAD is served wherever GET is (above), so a 405 says so.
    if (allowed.has('GET')) allowed.add('HEAD');
    return { kind: 'method_not_allowed', allowed: [...allowed] };
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
