/** An inline SVG polyline of the values, scaled to their own min..max (a flat series draws mid-height). */
export function sparklinePath(values: number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const span = Math.max(...values) - min;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const y = span === 0 ? height / 2 : height - ((v - min) / span) * height;
      return `${(i * step).toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

export function Sparkline({ points, label }: { points: number[]; label: string }) {
  const w = 120;
  const h = 32;
  return (
    <svg class="sparkline" viewBox={`-1 -1 ${w + 2} ${h + 2}`} width={w} height={h} role="img" aria-label={label}>
      {points.length > 0 && <polyline points={sparklinePath(points, w, h)} fill="none" stroke="currentColor" stroke-width="2" />}
    </svg>
  );
}
