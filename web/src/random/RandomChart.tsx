/**
 * The live chart of the Random page: the last values on a <canvas>, drawn
 * again on each new point, on a resize and when the colour scheme changes,
 * in the page's colours (its CSS custom properties). The geometry is the
 * pure `chart.ts`; `data-points` says how many points are drawn.
 */

import { useEffect, useRef, useState } from 'react';
import { formatTick, plotPoints, yAxis, yOf, type Axis, type Box } from './chart';
import { CHART_POINTS, formatValue, type DataPoint } from './randomFeed';

interface Props {
  /** Oldest first. */
  readonly points: readonly DataPoint[];
}

interface Size {
  readonly width: number;
  readonly height: number;
}

export function RandomChart({ points }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState<Size | null>(null);
  const [scheme, setScheme] = useState(0);
  const values = points.map((point) => point.value);
  const axis = yAxis(values);

  useEffect(() => {
    const element = canvas.current;
    if (element === null) return;
    const measure = () => setSize({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const changed = () => setScheme((n) => n + 1);
    query.addEventListener('change', changed);
    return () => query.removeEventListener('change', changed);
  }, []);

  useEffect(() => {
    const element = canvas.current;
    if (element !== null && size !== null) draw(element, size, values, axis);
    // `values` and `axis` follow from `points`; `scheme` only asks for a redraw.
  }, [points, size, scheme]);

  return (
    <canvas
      ref={canvas}
      className="random__chart"
      data-testid="random-chart"
      data-points={points.length}
      role="img"
      aria-label={describe(values, axis)}
    />
  );
}

/** What the chart shows, for people who cannot see it. */
function describe(values: readonly number[], axis: Axis | null): string {
  if (axis === null) return 'Chart of the stream’s values: nothing received yet.';
  const low = Math.min(...values);
  const high = Math.max(...values);
  const last = values[values.length - 1] ?? 0;
  return `Chart of the last ${values.length} values, from ${formatValue(low)} to ${formatValue(high)}; latest ${formatValue(last)}.`;
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

function draw(canvas: HTMLCanvasElement, size: Size, values: readonly number[], axis: Axis | null): void {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(size.width * ratio);
  const height = Math.round(size.height * ratio);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const context = canvas.getContext('2d');
  if (context === null) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, size.width, size.height);

  const style = getComputedStyle(canvas);
  const color = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const grid = color('--border', '#e1e4ea');
  const label = color('--muted', '#566171');
  const line = color('--accent', '#e8462b');
  context.font = FONT;
  context.textBaseline = 'middle';

  if (axis === null) {
    context.fillStyle = label;
    context.textAlign = 'center';
    context.fillText('Waiting for data…', size.width / 2, size.height / 2);
    return;
  }

  const labels = axis.ticks.map((tick) => formatTick(tick, axis.step));
  const labelWidth = Math.max(...labels.map((text) => context.measureText(text).width));
  const box: Box = { left: labelWidth + 12, top: 10, width: size.width - labelWidth - 20, height: size.height - 20 };
  if (box.width <= 0 || box.height <= 0) return;

  // The grid and its labels.
  context.strokeStyle = grid;
  context.lineWidth = 1;
  context.fillStyle = label;
  context.textAlign = 'right';
  axis.ticks.forEach((tick, i) => {
    const y = Math.round(yOf(tick, axis, box)) + 0.5; // crisp 1-px lines
    context.beginPath();
    context.moveTo(box.left, y);
    context.lineTo(box.left + box.width, y);
    context.stroke();
    context.fillText(labels[i] ?? '', box.left - 6, y);
  });

  // The values: a soft area under a line, and the newest as a dot.
  const points = plotPoints(values, CHART_POINTS, axis, box);
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return;
  context.beginPath();
  context.moveTo(first.x, first.y);
  for (const point of points.slice(1)) context.lineTo(point.x, point.y);
  context.save();
  context.lineTo(last.x, box.top + box.height);
  context.lineTo(first.x, box.top + box.height);
  context.closePath();
  context.globalAlpha = 0.12;
  context.fillStyle = line;
  context.fill();
  context.restore();

  context.beginPath();
  context.moveTo(first.x, first.y);
  for (const point of points.slice(1)) context.lineTo(point.x, point.y);
  context.strokeStyle = line;
  context.lineWidth = 2;
  context.lineJoin = 'round';
  context.lineCap = 'round';
  context.stroke();

  context.beginPath();
  context.arc(last.x, last.y, 3.5, 0, 2 * Math.PI);
  context.fillStyle = line;
  context.fill();
}
