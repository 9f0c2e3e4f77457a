import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** An endpoint's response times over time (uPlot: small, canvas-drawn, no inline script or style element). */
export function ResponseTimeChart(props: { title: string; points: { at: string; ms: number | null }[] }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!holder.current) return;
    const width = Math.min(holder.current.clientWidth || 600, 900);
    const data: uPlot.AlignedData = [props.points.map((p) => Date.parse(p.at) / 1000), props.points.map((p) => p.ms)];
    const color = getComputedStyle(holder.current).color;
    const chart = new uPlot(
      {
        width,
        height: 160,
        legend: { show: false },
        axes: [{ stroke: color }, { stroke: color, label: 'ms' }],
        series: [{}, { label: 'Response time', stroke: color, width: 1.5, spanGaps: false }],
      },
      data,
      holder.current,
    );
    return () => chart.destroy();
  }, [props.points]);
  const known = props.points.filter((p) => p.ms !== null);
  const average = known.length ? Math.round(known.reduce((sum, p) => sum + (p.ms ?? 0), 0) / known.length) : null;
  return (
    <figure class="chart">
      <div ref={holder} role="img" aria-label={`${props.title}: response time over the last 24 hours, average ${average ?? 'unknown'} ms`} />
      <figcaption>
        {props.title} — average {average ?? '—'} ms
      </figcaption>
    </figure>
  );
}
