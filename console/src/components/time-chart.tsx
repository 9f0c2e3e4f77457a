import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A dashed line (a target). */
  dashed?: boolean;
}

/**
 * A number that changes when the theme does (the system's, or the one picked in the console): a
 * canvas is drawn with the colours of the moment, so it must be drawn again.
 */
function useThemeChanges(): number {
  const [changes, setChanges] = useState(0);
  useEffect(() => {
    const changed = () => setChanges((n) => n + 1);
    const system = matchMedia('(prefers-color-scheme: dark)');
    system.addEventListener('change', changed);
    const picked = new MutationObserver(changed);
    picked.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => {
      system.removeEventListener('change', changed);
      picked.disconnect();
    };
  }, []);
  return changes;
}

/**
 * A time series chart (uPlot: small, canvas-drawn, no inline script or style element). The text
 * summary beside it is what a screen reader gets; the canvas is decoration for them.
 */
export function TimeChart(props: { title: string; unit: string; times: string[]; series: ChartSeries[]; summary: string }) {
  const holder = useRef<HTMLDivElement>(null);
  const theme = useThemeChanges();
  useEffect(() => {
    if (!holder.current) return;
    const width = Math.min(holder.current.clientWidth || 600, 960);
    const color = getComputedStyle(holder.current).color;
    const data: uPlot.AlignedData = [props.times.map((at) => Date.parse(at) / 1000), ...props.series.map((s) => s.values)];
    const single = data[0].length === 1 ? (data[0][0] as number) : undefined;
    const chart = new uPlot(
      {
        width,
        height: 180,
        legend: { show: false },
        // uPlot widens a lone point's axis to 86,400 of its millisecond units (1,000 days, as times are in
        // seconds here): a first day is drawn with a day either side instead.
        scales: single === undefined ? {} : { x: { time: true, range: [single - 86_400, single + 86_400] } },
        axes: [
          { stroke: color, grid: { stroke: 'rgba(128,128,128,0.25)' } },
          { stroke: color, label: props.unit, grid: { stroke: 'rgba(128,128,128,0.25)' } },
        ],
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: color, width: s.dashed ? 1 : 2, dash: s.dashed ? [6, 4] : undefined }))],
      },
      data,
      holder.current,
    );
    // The chart follows its box's width (a phone turned, a window narrowed) instead of overflowing it.
    const box = holder.current;
    const resized = new ResizeObserver(() => {
      const fits = Math.min(box.clientWidth || width, 960);
      if (fits !== chart.width) chart.setSize({ width: fits, height: 180 });
    });
    resized.observe(box);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, [JSON.stringify(props.times), JSON.stringify(props.series), theme]);
  return (
    <figure class="chart">
      <div ref={holder} aria-hidden="true" />
      <figcaption>
        <strong>{props.title}</strong> — {props.summary}
      </figcaption>
    </figure>
  );
}
