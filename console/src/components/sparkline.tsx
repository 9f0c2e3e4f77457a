/**
 * A small inline SVG of a series (response times): no chart library for a few dozen points, and
 * SVG attributes, unlike inline styles, pass the console's CSP.
 */
export function Sparkline(props: { label: string; points: (number | null)[] }) {
  const values = props.points.map((p) => (p == null ? null : p));
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return <span class="muted">no data</span>;
  const max = Math.max(...known, 1);
  const width = 120;
  const height = 28;
  const step = values.length > 1 ? width / (values.length - 1) : width;
  let d = '';
  values.forEach((v, i) => {
    if (v === null) return;
    const x = (i * step).toFixed(1);
    const y = (height - 2 - (v / max) * (height - 4)).toFixed(1);
    d += `${d && values[i - 1] !== null ? 'L' : 'M'}${x},${y}`;
  });
  return (
    <svg
      class="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${props.label}: latest ${known[known.length - 1]} ms, max ${max} ms`}
    >
      <path d={d} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}
