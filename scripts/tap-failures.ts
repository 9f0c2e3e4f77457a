/**
 * Keeps each `not ok` line of tap's output with the diagnostics under it (to the YAML block's end),
 * at most 40 of them and 30 lines each.
 */
export class FailureCollector {
  readonly blocks: string[] = [];
  private partial = '';
  private current: string[] | undefined;

  add(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (/^\s*not ok \d+/.test(line)) {
        this.current = this.blocks.length < 40 ? [line] : undefined;
        if (this.current) this.blocks.push(line);
        continue;
      }
      if (!this.current) continue;
      if (/^\s*ok \d+/.test(line)) {
        this.current = undefined;
        continue;
      }
      if (this.current.length < 30) this.current.push(line);
      this.blocks[this.blocks.length - 1] = this.current.join('\n');
      if (/^\s*\.\.\.$/.test(line)) this.current = undefined;
    }
  }
}
