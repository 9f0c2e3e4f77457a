import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A dashed line (a target). */
  dashed?: boolean;
}

/**
 * A time series chart (uPlot: small, canvas-drawn, no inline script or style element). The text
 * summary beside it is what a screen reader gets; the canvas is decoration for them.
 */
export function TimeChart(props: { title: string; unit: string; times: string[]; series: ChartSeries[]; summary: string }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!holder.current) return;
    const width = Math.min(holder.current.clientWidth || 600, 960);
    const color = getComputedStyle(holder.current).color;
    const data: uPlot.AlignedData = [props.times.map((at) => Date.parse(at) / 1000), ...props.series.map((s) => s.values)];
    const chart = new uPlot(
      {
        width,
        height: 180,
        legend: { show: false },
        axes: [
          { stroke: color, grid: { stroke: 'rgba(128,128,128,0.25)' } },
          { stroke: color, label: props.unit, grid: { stroke: 'rgba(128,128,128,0.25)' } },
        ],
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: color, width: s.dashed ? 1 : 2, dash: s.dashed ? [6, 4] : undefined }))],
      },
      data,
      holder.current,
    );
    return () => chart.destroy();
  }, [JSON.stringify(props.times), JSON.stringify(props.series)]);
  return (
    <figure class="chart">
      <div ref={holder} aria-hidden="true" />
      <figcaption>
        <strong>{props.title}</strong> — {props.summary}
      </figcaption>
    </figure>
  );
}
