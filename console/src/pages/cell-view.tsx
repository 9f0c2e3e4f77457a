import { StatusBadge, Time } from '../components/ui.tsx';
import { cellShape } from './plugin-cells.ts';

/** A plugin row's value as people read it (plugin-cells.ts decides the shape). */
export function Cell(props: { field: string; value: unknown }) {
  const shape = cellShape(props.field, props.value);
  if (shape.kind === 'time') return <Time at={shape.at} />;
  if (shape.kind === 'badge') return <StatusBadge status={shape.text} />;
  return <>{shape.text}</>;
}
