/** Charts of the compare page: latency percentiles and recovery time per setup. */
import * as Plot from '@observablehq/plot';
import type { Html } from '../html-markup.ts';
import { render } from '../plots.ts';
import type { SetupRow } from './model.ts';

const PERCENTILE_COLORS = ['#0b57d0', '#b7791f', '#b42318'];

export function latencyBySetupPlot(setups: readonly SetupRow[]): Html | undefined {
  const points = setups.flatMap((s) =>
    (['p50', 'p95', 'p99'] as const).flatMap((p) => {
      const ms = s.stats.latencyMs[p];
      return ms === null ? [] : [{ setup: s.key, percentile: p, ms }];
    }),
  );
  if (!points.length) return undefined;
  return render(
    {
      width: 760,
      height: 40 + 26 * setups.length,
      marginLeft: 230,
      x: { label: 'end-to-end latency (ms, log)', type: 'log', grid: true },
      y: { label: null, domain: setups.map((s) => s.key) },
      color: { legend: true, domain: ['p50', 'p95', 'p99'], range: PERCENTILE_COLORS },
      marks: [
        Plot.dot(points, { x: 'ms', y: 'setup', fill: 'percentile', r: 4 }),
        Plot.frame({ stroke: '#d9dee5' }),
      ],
    },
    'latency percentiles per setup',
  );
}

export function recoveryBySetupPlot(setups: readonly SetupRow[]): Html | undefined {
  const bars = setups.flatMap((s) => {
    const r = s.stats.recovery;
    return [
      ...(r.sendOkMs.max === null
        ? []
        : [{ row: `${s.key} · send`, what: 'first send ok', ms: r.sendOkMs.max }]),
      ...(r.deliveryMs.max === null
        ? []
        : [{ row: `${s.key} · delivery`, what: 'first delivery', ms: r.deliveryMs.max }]),
    ];
  });
  if (!bars.length) return undefined;
  return render(
    {
      width: 760,
      height: 40 + 22 * bars.length,
      marginLeft: 290,
      x: { label: 'worst recovery after a heal (ms)', grid: true },
      y: { label: null, domain: bars.map((b) => b.row) },
      color: { legend: true, domain: ['first send ok', 'first delivery'], range: ['#1a7f37', '#0b57d0'] },
      marks: [Plot.barX(bars, { x: 'ms', y: 'row', fill: 'what' }), Plot.ruleX([0])],
    },
    'worst recovery time after faults per setup',
  );
}
