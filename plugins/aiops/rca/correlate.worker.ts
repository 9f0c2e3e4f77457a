/**
 * Worker task `aiops.correlate`: lagged cross-correlation between every pair of service signals
 * (per-minute series of equal length). For each ordered pair the best Pearson correlation over
 * lags −maxLag…maxLag; a positive lag means the second series follows the first.
 */
export interface CorrelateInput {
  services: string[];
  series: Float64Array[];
  maxLag: number;
  /** Correlations below this are left out. */
  minScore: number;
}

export interface CorrelationEdge {
  a: string;
  b: string;
  score: number;
  /** Minutes b lags behind a (negative: b moved first). */
  lag: number;
}

export function laggedCorrelation(x: ArrayLike<number>, y: ArrayLike<number>, maxLag: number): { score: number; lag: number } {
  const n = Math.min(x.length, y.length);
  let best = { score: 0, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    let m = 0;
    for (let t = Math.max(0, -lag); t < n && t + lag < n; t++) {
      const a = x[t];
      const b = y[t + lag];
      sx += a;
      sy += b;
      sxx += a * a;
      syy += b * b;
      sxy += a * b;
      m++;
    }
    if (m < 5) continue;
    const cov = sxy - (sx * sy) / m;
    const vx = sxx - (sx * sx) / m;
    const vy = syy - (sy * sy) / m;
    if (vx <= 1e-12 || vy <= 1e-12) continue;
    const r = cov / Math.sqrt(vx * vy);
    if (r > best.score || (r === best.score && Math.abs(lag) < Math.abs(best.lag))) best = { score: r, lag };
  }
  return best;
}

export default function correlate(input: CorrelateInput): CorrelationEdge[] {
  const edges: CorrelationEdge[] = [];
  for (let i = 0; i < input.services.length; i++) {
    for (let j = i + 1; j < input.services.length; j++) {
      const { score, lag } = laggedCorrelation(input.series[i], input.series[j], input.maxLag);
      if (score >= input.minScore) edges.push({ a: input.services[i], b: input.services[j], score, lag });
    }
  }
  return edges;
}
