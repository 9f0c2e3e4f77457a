/** Worker task: a pure function of its input, run on the shared pool. */
export default function sumOfSquares(values: number[]): number {
  let total = 0;
  for (const value of values) total += value * value;
  return total;
}
