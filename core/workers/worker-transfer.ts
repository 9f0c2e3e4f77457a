/** The distinct buffers behind the typed arrays among `value`'s own properties (shared memory excepted). */
export function topLevelBuffers(value: unknown): ArrayBuffer[] {
  if (typeof value !== 'object' || value === null) return [];
  const buffers = new Set<ArrayBuffer>();
  for (const item of Object.values(value)) if (ArrayBuffer.isView(item) && item.buffer instanceof ArrayBuffer) buffers.add(item.buffer);
  return [...buffers];
}
