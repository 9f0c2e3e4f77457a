/**
 * The upper tail of the standard normal distribution, Q(z) = P(Z > z), to full double precision far
 * out (erfc by its continued fraction past z = 3, where 1 − Φ(z) would round to 0).
 */
export function normalTail(z: number): number {
  if (z < 0) return 1 - normalTail(-z);
  if (z < 3) {
    // Abramowitz–Stegun 7.1.26 is too coarse here; a series for erf is exact enough below 3.
    const x = z / Math.SQRT2;
    let term = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 0.5 - sum / Math.sqrt(Math.PI);
  }
  // Continued fraction (Lentz) for erfc(x), x = z/√2.
  const x = z / Math.SQRT2;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = x + a * d;
    d = 1 / d;
    c = x + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI)) / 2;
}
