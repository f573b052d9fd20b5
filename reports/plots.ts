/**
 * The report's charts, rendered to inline SVG on the server with Observable Plot over a linkedom
 * document: no script, no network, the system font. Every input is a figure computed elsewhere;
 * text from the history (fault labels) reaches the SVG as text nodes, which serialise escaped.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { CaseFigures, FaultRecovery } from './figures/types.ts';
import { type Html, html, raw } from './html-markup.ts';

const COLORS = { sendOk: '#1a7f37', sendInfo: '#b7791f', sendFail: '#b42318', deliveries: '#0b57d0' };
const SERIES_LABELS = {
  sendOk: 'sends ok',
  sendInfo: 'sends info (unknown)',
  sendFail: 'sends failed',
  deliveries: 'deliveries',
} as const;
const FAULT_FILL = '#b42318';
const WIDTH = 760;
/** Labelled fault bands per chart; more are drawn, unlabelled. */
const LABELLED_FAULTS = 12;

type PlotDocument = NonNullable<Plot.PlotOptions['document']>;
let shared: PlotDocument | undefined;
function plotDocument(): PlotDocument {
  shared ??= parseHTML('<!doctype html><html><head></head><body></body></html>')
    .document as unknown as PlotDocument;
  return shared;
}

/** Renders one chart; its SVG (or figure with a legend) is markup built by Plot, never from strings. */
export function render(options: Plot.PlotOptions, label: string): Html {
  const node = Plot.plot({ ...options, document: plotDocument() }) as unknown as { outerHTML: string };
  return html`<figure class="plot" role="img" aria-label="${label}">${raw(node.outerHTML)}</figure>`;
}

const seconds = (ms: number) => ms / 1000;

function faultMarks(faults: readonly FaultRecovery[], endMs: number): Plot.Markish[] {
  const spans = faults.filter((f) => f.kind === 'fault');
  const crashes = faults.filter((f) => f.kind === 'crash');
  const bands = spans.map((f) => ({
    x1: seconds(f.startMs),
    x2: seconds(Math.max(f.healedAtMs ?? endMs, f.startMs + 1)),
    label: f.label,
  }));
  return [
    Plot.rectX(bands, { x1: 'x1', x2: 'x2', fill: FAULT_FILL, fillOpacity: 0.12 }),
    Plot.text(bands.slice(0, LABELLED_FAULTS), {
      x: 'x1',
      text: 'label',
      frameAnchor: 'top',
      textAnchor: 'start',
      dx: 3,
      dy: 4,
      fill: FAULT_FILL,
      fontSize: 10,
    }),
    Plot.ruleX(
      crashes.map((c) => ({ x: seconds(c.startMs) })),
      { x: 'x', stroke: FAULT_FILL, strokeOpacity: 0.6, strokeDasharray: '2,3' },
    ),
    Plot.text(
      crashes.slice(0, LABELLED_FAULTS).map((c) => ({ x: seconds(c.startMs), label: '✕' })),
      { x: 'x', text: 'label', frameAnchor: 'bottom', dy: -4, fill: FAULT_FILL, fontSize: 10 },
    ),
  ];
}

/** Sends ok / info / fail and deliveries per bucket over time, fault intervals shaded and labelled. */
export function throughputPlot(figures: CaseFigures): Html {
  const s = figures.throughput;
  const rows: { t: number; series: string; n: number }[] = [];
  for (const name of ['sendOk', 'sendInfo', 'sendFail', 'deliveries'] as const) {
    const list = s[name];
    if (name !== 'sendOk' && name !== 'deliveries' && list.every((n) => n === 0)) continue;
    list.forEach((n, k) => {
      rows.push({ t: seconds(s.startMs + k * s.bucketMs), series: SERIES_LABELS[name], n });
    });
    // Steps hold their value to the end of the bucket: close the last one.
    if (list.length)
      rows.push({
        t: seconds(s.startMs + list.length * s.bucketMs),
        series: SERIES_LABELS[name],
        n: list.at(-1)!,
      });
  }
  const names = (Object.keys(SERIES_LABELS) as (keyof typeof SERIES_LABELS)[]).filter((n) =>
    rows.some((r) => r.series === SERIES_LABELS[n]),
  );
  const endS = seconds(Math.max(figures.endMs, s.bucketMs * s.sendOk.length));
  return render(
    {
      width: WIDTH,
      height: 220,
      marginLeft: 48,
      x: { label: 'seconds since the case started', domain: [0, endS] },
      y: { label: `per ${s.bucketMs} ms`, grid: true, nice: true },
      color: {
        legend: true,
        domain: names.map((n) => SERIES_LABELS[n]),
        range: names.map((n) => COLORS[n]),
      },
      marks: [
        ...faultMarks(figures.faults, figures.endMs),
        Plot.lineY(rows, {
          x: 't',
          y: 'n',
          z: 'series',
          stroke: 'series',
          curve: 'step-after',
          strokeWidth: 1.4,
        }),
        Plot.ruleY([0]),
      ],
    },
    `sends and deliveries per ${s.bucketMs} ms over time, with fault intervals`,
  );
}

/** End-to-end latency (send invoke → first process) as a scatter, with p50/p95/p99 lines. */
export function latencyPlot(figures: CaseFigures): Html {
  const l = figures.latency;
  const points = l.samples.map(([at, ms]) => ({ t: seconds(at), ms }));
  const lines: { ms: number; label: string; dx: number }[] = [];
  for (const [name, ms] of [
    ['p50', l.p50],
    ['p95', l.p95],
    ['p99', l.p99],
  ] as const) {
    if (ms !== null) lines.push({ ms, label: name, dx: 4 + 26 * lines.length });
  }
  return render(
    {
      width: WIDTH,
      height: 220,
      marginLeft: 56,
      marginRight: 88,
      x: { label: 'send invoked (s since the case started)', domain: [0, seconds(figures.endMs)] },
      y: { label: 'latency (ms)', grid: true, nice: true },
      marks: [
        ...faultMarks(figures.faults, figures.endMs),
        Plot.dot(points, { x: 't', y: 'ms', r: 1.6, fill: COLORS.deliveries, fillOpacity: 0.55 }),
        Plot.ruleY(lines, { y: 'ms', stroke: '#1d2330', strokeDasharray: '4,3' }),
        ...lines.map((line) =>
          Plot.text([line], {
            y: 'ms',
            text: 'label',
            frameAnchor: 'right',
            textAnchor: 'start',
            dx: line.dx,
            fontSize: 10,
          }),
        ),
      ],
    },
    `end-to-end latency of ${l.count} messages with p50, p95 and p99`,
  );
}

const ROWS = {
  noSend: 'no successful send',
  noDelivery: 'no delivery',
  sendBack: 'heal → first send ok',
  deliveryBack: 'heal → first delivery',
} as const;

/**
 * Recovery and unavailability on one time line: the windows with no successful send / no delivery
 * as bars, and an arrow from each fault's heal to the first successful send and the first delivery.
 */
export function availabilityPlot(figures: CaseFigures): Html {
  const u = figures.unavailability;
  const bars = [
    ...u.sends.map((w) => ({ row: ROWS.noSend, x1: seconds(w.fromMs), x2: seconds(w.toMs) })),
    ...u.deliveries.map((w) => ({ row: ROWS.noDelivery, x1: seconds(w.fromMs), x2: seconds(w.toMs) })),
  ];
  const arrows: { row: string; x1: number; x2: number }[] = [];
  for (const f of figures.faults) {
    if (f.healedAtMs === null || f.kind !== 'fault') continue;
    const heal = seconds(f.healedAtMs);
    if (f.firstSendOkAfterMs !== null)
      arrows.push({ row: ROWS.sendBack, x1: heal, x2: heal + seconds(f.firstSendOkAfterMs) });
    if (f.firstDeliveryAfterMs !== null)
      arrows.push({ row: ROWS.deliveryBack, x1: heal, x2: heal + seconds(f.firstDeliveryAfterMs) });
  }
  return render(
    {
      width: WIDTH,
      height: 150,
      marginLeft: 150,
      x: { label: 'seconds since the case started', domain: [0, seconds(figures.endMs)] },
      y: { label: null, domain: Object.values(ROWS) },
      marks: [
        ...faultMarks(figures.faults, figures.endMs),
        Plot.barX(bars, {
          x1: 'x1',
          x2: 'x2',
          y: 'row',
          fill: '#8a5a00',
          fillOpacity: 0.7,
          insetTop: 3,
          insetBottom: 3,
        }),
        Plot.link(arrows, {
          x1: 'x1',
          x2: 'x2',
          y1: 'row',
          y2: 'row',
          stroke: COLORS.sendOk,
          strokeWidth: 2,
          markerStart: 'dot',
          markerEnd: 'arrow',
        }),
      ],
    },
    'unavailability windows and recovery after each heal',
  );
}

/** Bars of a lag distribution (p50, p95, p99, max), with the claimed bound as a line. */
export function distributionPlot(
  values: { p50: number; p95: number; p99: number; max: number },
  bound: number | undefined,
  label: string,
): Html {
  const bars = (['p50', 'p95', 'p99', 'max'] as const).map((name) => ({ name, ms: values[name] }));
  return render(
    {
      width: 360,
      height: 160,
      marginLeft: 56,
      x: { label: null, domain: bars.map((b) => b.name), padding: 0.3 },
      y: { label: 'lag (ms)', grid: true, nice: true },
      marks: [
        Plot.barY(bars, { x: 'name', y: 'ms', fill: COLORS.deliveries }),
        ...(bound === undefined ? [] : [Plot.ruleY([bound], { stroke: FAULT_FILL, strokeDasharray: '4,3' })]),
        Plot.ruleY([0]),
      ],
    },
    label,
  );
}

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(3)} ms`;
}
