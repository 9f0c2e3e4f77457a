/**
 * A strict XML well-formedness check for the badge tests (no XML parser among the dependencies):
 * every tag closed in order, attributes quoted, no bare `<` or `&` in text. Returns the root's name.
 */
export function wellFormedRoot(xml: string): string {
  const stack: string[] = [];
  let root: string | undefined;
  const token = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  let at = 0;
  while (at < xml.length) {
    token.lastIndex = at;
    const match = token.exec(xml);
    if (!match) throw new Error(`not well-formed at ${at}: ${xml.slice(at, at + 40)}`);
    at = token.lastIndex;
    const [, closing, name, attributes, selfClosing, text] = match;
    if (text !== undefined) {
      if (/&(?!(?:lt|gt|amp|quot|apos|#\d+);)/.test(text)) throw new Error(`bare & in text: ${text}`);
      if (stack.length === 0 && text.trim()) throw new Error('text outside the root element');
      continue;
    }
    const names = [...attributes.matchAll(/([A-Za-z_][\w:.-]*)=/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${name}>`);
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open`);
      continue;
    }
    if (stack.length === 0) {
      if (root) throw new Error('two root elements');
      root = name;
    }
    if (!selfClosing) stack.push(name);
  }
  if (!root || stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  return root;
}
