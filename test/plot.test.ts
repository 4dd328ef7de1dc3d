/**
 * The end-of-run plot (src/train/plot.ts): a synthetic 200-step log (decaying loss,
 * cosine lr, 3 validation records) gives one <svg> per chart whose polylines hold one
 * point per record and whose y axis covers the data; the summary's numbers are worked
 * here from the same synthetic data; malformed and non-finite lines are skipped and
 * counted; the PNG decodes to the size of the sheet it was rasterised from.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { ConfigError } from '../src/core/errors.ts';
import {
  formatTick,
  movingAverage,
  niceAxis,
  parseTrainingLog,
  plotTrainingLog,
  renderTrainingPlotSheet,
  renderTrainingPlotSvg,
} from '../src/train/plot.ts';

const made: string[] = [];
const tmpdir = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-plot-'));
  made.push(d);
  return d;
};
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const N = 200;
const lossAt = (s: number): number => 5 * Math.exp(-s / 50) + 0.4 + 0.1 * Math.sin(s);
const lrAt = (s: number): number => 0.0001 + 0.5 * (0.01 - 0.0001) * (1 + Math.cos((Math.PI * (s - 1)) / (N - 1)));

function stepRecord(s: number, loss = lossAt(s)): Record<string, unknown> {
  return {
    step: s,
    updates: s,
    images: 16,
    lr: lrAt(s),
    loss,
    parts: { box: loss * 0.5, objectness: loss * 0.3, classes: loss * 0.2, positives: 30 + (s % 4) },
    dataWaitMs: 4,
    stepMs: 96,
    imagesPerSecond: 160 + (s % 3),
  };
}

/** 200 step records with validations after steps 60, 120 and 180 (best mAP at 120). */
function syntheticRecords(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const maps: Record<number, [number, number, number]> = { 60: [0.1, 0.25, 0.08], 120: [0.22, 0.41, 0.2], 180: [0.21, 0.43, 0.19] };
  for (let s = 1; s <= N; s++) {
    out.push(stepRecord(s));
    const m = maps[s];
    if (m) out.push({ epoch: s / 60, step: s, map: m[0], map50: m[1], map75: m[2] });
  }
  return out;
}

/** The <svg> element of chart `id`, its data attributes and its polylines' points. */
function chart(svgs: readonly string[], id: string) {
  const svg = svgs.find((s) => s.includes(`data-chart="${id}"`));
  assert.ok(svg, `no chart ${id}`);
  const attr = (name: string): number => Number(svg.match(new RegExp(`<svg[^>]* ${name}="([^"]+)"`))![1]);
  const lines = new Map<string, { count: number; points: [number, number][] }>();
  for (const m of svg.matchAll(/<polyline data-series="([^"]+)" data-count="(\d+)" points="([^"]*)"/g)) {
    const points = m[3]!.split(' ').filter(Boolean).map((p) => p.split(',').map(Number) as [number, number]);
    lines.set(m[1]!, { count: Number(m[2]), points });
  }
  return { svg, xMin: attr('data-x-min'), xMax: attr('data-x-max'), yMin: attr('data-y-min'), yMax: attr('data-y-max'), lines };
}

// Chart geometry (default 520×300, margins left 62, right 14, top 34, bottom 40).
const PLOT = { left: 62, top: 34, width: 520 - 62 - 14, height: 300 - 34 - 40 };
const toY = (v: number, lo: number, hi: number): number => PLOT.top + (1 - (v - lo) / (hi - lo)) * PLOT.height;
const toX = (v: number, lo: number, hi: number): number => PLOT.left + ((v - lo) / (hi - lo)) * PLOT.width;

describe('axes and averages', () => {
  it('niceAxis covers the range on 1/2/5 × 10^k steps; formatTick shows what the step needs', () => {
    assert.deepEqual(niceAxis(0.3, 5.62), { lo: 0, hi: 6, step: 2, ticks: [0, 2, 4, 6] }); // span 5.32 / 5 = 1.06 → 2
    const lr = niceAxis(0.0001, 0.01);
    assert.equal(lr.step, 0.002);
    assert.deepEqual(lr.ticks, [0, 0.002, 0.004, 0.006, 0.008, 0.01]);
    // A constant series still gets a range around it.
    assert.deepEqual(niceAxis(3, 3), { lo: 2.6, hi: 3.4000000000000004, step: 0.2, ticks: [2.6, 2.8, 3, 3.2, 3.4] });
    // Tight (the step axis): ends at the data, ticks only inside.
    assert.deepEqual(niceAxis(0, 201, 6, true, true), { lo: 0, hi: 201, step: 50, ticks: [0, 50, 100, 150, 200] });
    assert.equal(niceAxis(1, 3, 6, true).step, 1);
    assert.equal(formatTick(0.002, 0.002), '0.002');
    assert.equal(formatTick(1.5, 0.5), '1.5');
    assert.equal(formatTick(20000, 5000), '20k');
    assert.equal(formatTick(3e6, 1e6), '3M');
    assert.equal(formatTick(0.00002, 0.00001), '2e-5');
    assert.equal(formatTick(0, 0.1), '0');
  });

  it('movingAverage is the trailing mean over the window (fewer at the start)', () => {
    assert.deepEqual(movingAverage([1, 2, 3, 4, 10], 2), [1, 1.5, 2.5, 3.5, 7]);
    assert.deepEqual(movingAverage([2, 4, 6], 5), [2, 3, 4]);
  });
});

describe('renderTrainingPlotSvg', () => {
  const plot = renderTrainingPlotSvg(syntheticRecords());
  const svgs = plot.charts.map((c) => c.svg);

  it('makes the loss, each part, lr, images/s and mAP charts', () => {
    assert.deepEqual(
      plot.charts.map((c) => c.id),
      ['loss', 'part-box', 'part-objectness', 'part-classes', 'part-positives', 'lr', 'images-per-second', 'map'],
    );
    for (const svg of svgs) {
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>$/);
      assert.match(svg, />step<\/text>/);
    }
  });

  it('draws one point per record, raw and averaged; mAP one per validation', () => {
    const loss = chart(svgs, 'loss');
    assert.equal(loss.lines.get('loss')!.count, N);
    assert.equal(loss.lines.get('loss')!.points.length, N);
    assert.equal(loss.lines.get('loss-avg')!.points.length, N);
    assert.equal(chart(svgs, 'lr').lines.get('lr')!.points.length, N);
    assert.equal(chart(svgs, 'part-objectness').lines.get('part-objectness')!.points.length, N);
    assert.equal(chart(svgs, 'images-per-second').lines.get('images-per-second')!.points.length, N);
    const map = chart(svgs, 'map');
    for (const k of ['map', 'map50', 'map75']) assert.equal(map.lines.get(k)!.points.length, 3, k);
    assert.equal((map.svg.match(/<circle /g) ?? []).length, 9);
    assert.match(map.svg, /mAP@\.5:\.95/);
  });

  it('the y axis covers the data; points sit where the axis puts them', () => {
    const losses = Array.from({ length: N }, (_, i) => lossAt(i + 1));
    const loss = chart(svgs, 'loss');
    const lo = Math.min(...losses);
    const hi = Math.max(...losses);
    assert.ok(loss.yMin <= lo && loss.yMax >= hi, `[${loss.yMin}, ${loss.yMax}] ⊉ [${lo}, ${hi}]`);
    assert.equal(loss.yMin, 0); // min 0.42…, max 5.36…: step 1 (span / 5 = 0.99)
    assert.equal(loss.yMax, 6);
    assert.deepEqual([loss.xMin, loss.xMax], [0, N]);
    const pts = loss.lines.get('loss')!.points;
    for (let i = 0; i < N; i++) {
      assert.ok(Math.abs(pts[i]![0] - toX(i + 1, 0, N)) <= 0.05, `x of step ${i + 1}`);
      assert.ok(Math.abs(pts[i]![1] - toY(losses[i]!, 0, 6)) <= 0.05, `y of step ${i + 1}`);
    }
    const lr = chart(svgs, 'lr');
    assert.deepEqual([lr.yMin, lr.yMax], [0, 0.01]);
    // The cosine starts at its maximum, 0.01: the top of the plot.
    assert.equal(lr.lines.get('lr')!.points[0]![1], PLOT.top);
    const map = chart(svgs, 'map');
    assert.equal(map.yMin, 0); // mAP axes start at 0
    assert.ok(map.yMax >= 0.43);
  });

  it('summarises the run', () => {
    const s = plot.summary;
    assert.equal(s.steps, N);
    assert.equal(s.lastStep, N);
    assert.equal(s.updates, N);
    assert.equal(s.images, 16 * N);
    assert.equal(s.finalLoss, lossAt(N));
    assert.equal(s.window, 8); // max(5, ⌈200 / 25⌉)
    let tail = 0;
    for (let k = N - 7; k <= N; k++) tail += lossAt(k);
    assert.ok(Math.abs(s.finalLossAverage! - tail / 8) < 1e-12);
    assert.equal(s.imagesPerSecond, (16 * N) / ((100 * N) / 1000));
    assert.ok(Math.abs(s.dataWaitShare! - 0.04) < 1e-12);
    assert.equal(s.validations, 3);
    assert.deepEqual(s.bestMap, { value: 0.22, step: 120, epoch: 2 });
    assert.deepEqual(s.bestMap50, { value: 0.43, step: 180, epoch: 3 });
  });

  it('thins long series to maxPoints keeping the spikes; data-count keeps the record count', () => {
    const records = Array.from({ length: 10000 }, (_, i) => stepRecord(i + 1, i === 7777 ? 50 : 1 + (i % 10) / 10));
    const { charts } = renderTrainingPlotSvg(records, { maxPoints: 1000 });
    const loss = chart(
      charts.map((c) => c.svg),
      'loss',
    );
    const line = loss.lines.get('loss')!;
    assert.equal(line.count, 10000);
    assert.ok(line.points.length <= 1000 && line.points.length >= 900, String(line.points.length));
    assert.equal(loss.yMax, 50);
    assert.ok(line.points.some((p) => p[1] === PLOT.top), 'the spike to 50 is drawn');
  });

  it('rejects what is not a list of records', () => {
    assert.throws(() => renderTrainingPlotSvg('log.jsonl' as never), ConfigError);
    assert.throws(() => renderTrainingPlotSvg([], { window: 0 }), ConfigError);
  });
});

describe('parseTrainingLog', () => {
  it('skips and counts malformed lines and non-finite values; restarts keep the last run', () => {
    const lines = [
      JSON.stringify(stepRecord(1)),
      '{"step": 2, "loss": NaN, "lr": 0.01, "parts": {}, "imagesPerSecond": 1}', // Python's json: non-finite, not malformed
      '{not json',
      '',
      JSON.stringify(stepRecord(3, NaN)), // JSON.stringify writes NaN as null
      '[1, 2]',
      '{"loss": 1}', // a step record without a step
      '{"note": "hello"}',
      JSON.stringify({ epoch: 1, map: 0.1, map50: 0.2 }), // no step: the previous step record's
    ];
    const log = parseTrainingLog(lines.join('\n'));
    assert.equal(log.steps.length, 3);
    assert.equal(log.malformed, 3);
    assert.deepEqual(log.malformedLines, [3, 6, 7]);
    assert.equal(log.nonFinite, 2);
    assert.equal(log.ignored, 1);
    assert.deepEqual(log.validations, [{ step: 3, epoch: 1, map: 0.1, map50: 0.2 }]);
    const again = parseTrainingLog([...lines, JSON.stringify(stepRecord(1)), JSON.stringify(stepRecord(2))].join('\n'));
    assert.equal(again.earlierRuns, 1);
    assert.deepEqual(
      again.steps.map((r) => r.step),
      [1, 2],
    );
    assert.equal(again.validations.length, 0);
  });
});

describe('plotTrainingLog', () => {
  it('writes a self-contained page and a PNG of the charts', async () => {
    const dir = tmpdir();
    const logPath = path.join(dir, 'train.jsonl');
    const lines = syntheticRecords().map((r) => JSON.stringify(r));
    lines.splice(50, 0, '{"step": 4', 'garbage');
    lines.push(JSON.stringify(stepRecord(N + 1, Infinity)));
    fs.writeFileSync(logPath, lines.join('\n') + '\n');
    const out = path.join(dir, 'run', 'plot.html');
    const result = await plotTrainingLog(logPath, out);
    assert.equal(result.html, out);
    const html = fs.readFileSync(out, 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 8);
    assert.doesNotMatch(html, /<script|<link|<img|@import|url\(|src=|href=/i);
    assert.equal(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '').match(/https?:/), null);
    assert.match(html, /2 malformed lines skipped \(lines 51, 52\)/);
    assert.match(html, /1 record with non-finite values/);
    assert.match(html, /<b>201<\/b><span>steps<\/span>/);
    assert.match(html, /<b>3216<\/b><span>images<\/span>/);
    assert.match(html, /<b>0\.22 @ 120 \(epoch 2\)<\/b><span>best mAP@\.5:\.95<\/span>/);
    assert.equal(result.log.malformed, 2);
    assert.equal(result.log.nonFinite, 1);
    // The infinite loss is left out of the loss line; its lr is still drawn.
    const svgs = html.match(/<svg [\s\S]*?<\/svg>/g)!;
    assert.equal(chart(svgs, 'loss').lines.get('loss')!.count, N);
    assert.equal(chart(svgs, 'lr').lines.get('lr')!.count, N + 1);
    assert.equal(result.summary.finalLoss, lossAt(N));

    if (result.png === undefined) {
      assert.match(result.pngSkipped!, /sharp/);
      return;
    }
    assert.equal(result.png, path.join(dir, 'run', 'plot.png'));
    const sheet = renderTrainingPlotSheet(result.log, { scale: 2 })!;
    assert.equal(sheet.width, 2 * (2 * 520 + 3 * 8)); // two columns of charts
    const { data, info } = await sharp(result.png).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [sheet.width, sheet.height]);
    assert.deepEqual(result.pngSize, { width: sheet.width, height: sheet.height });
    // Not blank: the axes, lines and bitmap text put plenty of dark and coloured pixels down.
    let dark = 0;
    let blue = 0;
    for (let i = 0; i < data.length; i += info.channels) {
      if (data[i]! < 80 && data[i + 1]! < 80 && data[i + 2]! < 80) dark++;
      if (data[i + 2]! > 150 && data[i]! < 80) blue++;
    }
    assert.ok(dark > 20000, `dark pixels ${dark}`);
    assert.ok(blue > 2000, `blue pixels ${blue}`);
  });

  it('an empty log gives a page that says so and no PNG', async () => {
    const dir = tmpdir();
    const logPath = path.join(dir, 'empty.jsonl');
    fs.writeFileSync(logPath, '\n');
    const result = await plotTrainingLog(logPath, path.join(dir, 'plot.html'));
    const html = fs.readFileSync(result.html, 'utf8');
    assert.match(html, /nothing to plot/);
    assert.doesNotMatch(html, /<svg/);
    assert.equal(result.png, undefined);
    assert.equal(result.pngSkipped, 'the log has no records to plot');
    assert.equal(result.summary.steps, 0);
    assert.equal(fs.existsSync(path.join(dir, 'plot.png')), false);
  });

  it('takes records in memory; png: false writes only the page', async () => {
    const dir = tmpdir();
    const result = await plotTrainingLog(syntheticRecords().slice(0, 20), path.join(dir, 'p.html'), { png: false });
    assert.equal(result.pngSkipped, 'disabled (png: false)');
    assert.equal((fs.readFileSync(result.html, 'utf8').match(/<svg /g) ?? []).length, 7); // no validation yet: no mAP chart
    await assert.rejects(plotTrainingLog(path.join(dir, 'missing.jsonl'), path.join(dir, 'q.html')), ConfigError);
  });
});
