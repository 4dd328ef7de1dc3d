/**
 * Occlusion transforms (SPEC §4): random erasing, cutout, grid mask. Pure functions are
 * checked pixel by pixel on small images; the visibility rule on worked numbers; the
 * kernels' draws statistically; and a property test recomputes visibility by brute force.
 *
 * Worked references (test/reference/occlusion.py): the official GridMask mask (mode 1) on
 * 10×8, torchvision RandomErasing's rounding of h and w, and a mean colour.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  applyGridMask, cutoutHoles, cutoutKernel, cutoutRects, cutoutSide, DEFAULT_MIN_VISIBILITY, eraseRect, gridMaskKernel,
  gridRuns, meanColour, occlude, occlusionKernels, paintedCount, randomErasingKernel, randomErasingRect, rectRuns,
  visibleFractions, type Fill, type PaintedRuns,
} from '../src/kernels/occlusion.ts';
import { randomErasing } from '../src/transforms/random-erasing.ts';
import { cutout } from '../src/transforms/cutout.ts';
import { gridMask } from '../src/transforms/grid-mask.ts';
import { Rng } from '../src/core/rng.ts';
import { BoxFlag, type Annotated, type RawImage } from '../src/core/types.ts';

/** An image whose bytes are never 0: value = 1 + (3·(y·W + x) + c) mod 255. */
function pattern(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = 1 + (i % 255);
  return { data, width, height };
}

function sample(image: RawImage, boxes: number[] = [], flags?: number[]): Annotated {
  const n = boxes.length / 4;
  return {
    image,
    boxes: new Float32Array(boxes),
    // class i = input position i, so a survivor traces back to its input box
    classes: Int32Array.from({ length: n }, (_, i) => i),
    weights: Float32Array.from({ length: n }, (_, i) => i + 0.5),
    flags: Uint8Array.from(flags ?? Array.from({ length: n }, () => 0)),
  };
}

/** '#' where a mask row paints, '.' elsewhere. */
function picture(painted: (x: number, y: number) => boolean, w: number, h: number): string[] {
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => (painted(x, y) ? '#' : '.')).join(''));
}

function runsPicture(p: PaintedRuns): string[] {
  const rows: string[] = [];
  for (let y = 0; y < p.height; y++) {
    const row = new Array<string>(p.width).fill('.');
    for (let k = p.rowStart[y]!; k < p.rowStart[y + 1]!; k++) for (let x = p.runs[2 * k]!; x < p.runs[2 * k + 1]!; x++) row[x] = '#';
    rows.push(row.join(''));
  }
  return rows;
}

/** Check every pixel of `out` against `src`: '#' pixels equal `fill`, '.' pixels unchanged. */
function assertPainted(out: RawImage, src: RawImage, expected: string[], fill: readonly [number, number, number]): void {
  assert.equal(out.width, src.width);
  assert.equal(out.height, src.height);
  assert.equal(out.data.length, src.data.length);
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < src.width; x++) {
      const i = (y * src.width + x) * 3;
      const want = expected[y]![x] === '#' ? fill : [src.data[i]!, src.data[i + 1]!, src.data[i + 2]!];
      assert.deepEqual([out.data[i], out.data[i + 1], out.data[i + 2]], [...want], `pixel (${x}, ${y})`);
    }
  }
}

/** An Rng stand-in whose `uniform` and `int` return scripted values (checking the asked ranges). */
function scripted(uniforms: number[], ints: number[], intRanges: [number, number][] = []): Rng {
  return {
    uniform: (lo: number, hi: number) => {
      const v = uniforms.shift();
      assert.ok(v !== undefined && v >= lo && v <= hi, `uniform(${lo}, ${hi}) → ${v}`);
      return v;
    },
    int: (lo: number, hi: number) => {
      intRanges.push([lo, hi]);
      const v = ints.shift();
      assert.ok(v !== undefined && v >= lo && v <= hi, `int(${lo}, ${hi}) → ${v}`);
      return v;
    },
  } as unknown as Rng;
}

describe('random erasing (pure)', () => {
  it('paints exactly the rectangle, pixel by pixel, with an [r, g, b] fill', () => {
    const src = pattern(10, 8);
    const out = eraseRect(sample(src), { x: 2, y: 1, width: 4, height: 3 }, [10, 20, 30], 0.1);
    assertPainted(out.image, src, [
      '..........',
      '..####....',
      '..####....',
      '..####....',
      '..........',
      '..........',
      '..........',
      '..........',
    ], [10, 20, 30]);
    assert.notEqual(out.image.data, src.data, 'the input image is not mutated');
    assert.equal(src.data[(1 * 10 + 2) * 3], 1 + ((1 * 10 + 2) * 3) % 255);
  });

  it('grey fill; a rectangle touching the border; an empty rectangle leaves the sample as it was', () => {
    const src = pattern(10, 8);
    const out = eraseRect(sample(src), { x: 7, y: 6, width: 3, height: 2 }, 200, 0.1);
    assertPainted(out.image, src, [
      '..........', '..........', '..........', '..........', '..........', '..........',
      '.......###',
      '.......###',
    ], [200, 200, 200]);
    const s = sample(src, [0, 0, 5, 5]);
    assert.equal(eraseRect(s, { x: 3, y: 3, width: 0, height: 4 }, 0, 0.1), s);
  });

  it('the rectangle search follows torchvision: Python rounding, retries, then top before left', () => {
    // 10×8, A = 80 (test/reference/occlusion.py):
    //   frac 0.4, log 3.3 → h = round(√(32·3.3)) = 10 ≥ 8: rejected
    //   frac 0.078125, log ratio 0 → h = w = round(2.5) = 2 (halves to even; Math.round would give 3)
    const ranges: [number, number][] = [];
    const rect = randomErasingRect(10, 8, [0.02, 0.4], [0.3, 3.3], scripted([0.4, Math.log(3.3), 0.078125, 0], [5, 7], ranges));
    assert.deepEqual(rect, { x: 7, y: 5, width: 2, height: 2 });
    assert.deepEqual(ranges, [[0, 6], [0, 8]], 'top ~ int(0, H−h) first, then left ~ int(0, W−w)');
    // frac 0.2, ratio 0.5 → h = round(√8) = 3, w = round(√32) = 6; frac 0.3, ratio 2 → h 7, w 3
    assert.deepEqual(randomErasingRect(10, 8, [0.02, 0.4], [0.3, 3.3], scripted([0.2, Math.log(0.5)], [0, 4])),
      { x: 4, y: 0, width: 6, height: 3 });
    assert.deepEqual(randomErasingRect(10, 8, [0.02, 0.4], [0.3, 3.3], scripted([0.3, Math.log(2)], [1, 0])),
      { x: 0, y: 1, width: 3, height: 7 });
  });

  it('gives up after 10 attempts that do not fit: the kernel returns the sample unchanged', () => {
    // area = the whole image with ratio 1 on a square: h = w = W, never < W
    assert.equal(randomErasingRect(16, 16, [1, 1], [1, 1], new Rng(3)), null);
    const s = sample(pattern(16, 16), [1, 1, 5, 5]);
    assert.equal(randomErasingKernel(s, { area: [1, 1], ratio: [1, 1] }, new Rng(3)), s);
  });

  it('size distribution: area fraction within [0.02, 0.4] up to rounding, aspect log-uniform on [0.3, 3.3]', () => {
    // square, so rejections (h ≥ H or w ≥ W) do not favour one orientation
    const W = 200;
    const H = 200;
    const A = W * H;
    let sumFrac = 0;
    let sumLogAspect = 0;
    let n = 0;
    let wide = 0;
    for (let k = 0; k < 3000; k++) {
      const r = randomErasingRect(W, H, [0.02, 0.4], [0.3, 3.3], new Rng(17, k));
      if (!r) continue;
      n++;
      const frac = (r.width * r.height) / A;
      // h, w are each within ½ px of the real sizes: |h·w − area| ≤ (h + w)/2 + ¼
      const slack = ((r.width + r.height) / 2 + 0.25) / A;
      assert.ok(frac >= 0.02 - slack && frac <= 0.4 + slack, `area fraction ${frac}`);
      const aspect = r.height / r.width;
      assert.ok(aspect >= 0.3 * (1 - 1 / r.height) - 0.05 && aspect <= 3.3 / (1 - 1 / r.width) + 0.05, `aspect ${aspect}`);
      assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= W && r.y + r.height <= H);
      sumFrac += frac;
      sumLogAspect += Math.log(aspect);
      if (aspect > 1) wide++;
    }
    assert.ok(n > 2900, `${n} of 3000 found a rectangle`);
    // E[frac | accepted] ≈ 0.21 (0.02..0.4, a little lower because big tall/wide draws are rejected)
    assert.ok(Math.abs(sumFrac / n - 0.2) < 0.02, `mean area fraction ${sumFrac / n}`);
    // log-uniform on [log 0.3, log 3.3]: mean log ≈ (log 0.3 + log 3.3)/2 = −0.0100
    assert.ok(Math.abs(sumLogAspect / n - (Math.log(0.3) + Math.log(3.3)) / 2) < 0.06, `mean log aspect ${sumLogAspect / n}`);
    assert.ok(Math.abs(wide / n - 0.5) < 0.05, `${wide / n} tall`);
  });

  it('the kernel = the drawn rectangle, then the fill bytes from the same stream', () => {
    const s = sample(pattern(40, 30), [0, 0, 40, 30, 5, 5, 9, 9]);
    const a = randomErasingKernel(s, {}, new Rng(9, 1));
    const rng = new Rng(9, 1);
    const rect = randomErasingRect(40, 30, [0.02, 0.4], [0.3, 3.3], rng)!;
    const b = eraseRect(s, rect, 'random', DEFAULT_MIN_VISIBILITY, rng);
    assert.deepEqual(a.image.data, b.image.data);
    assert.deepEqual(a.classes, b.classes);
  });
});

describe('cutout (pure)', () => {
  it('square holes of even side are [c − l/2, c + l/2), clipped at the border; overlaps paint once', () => {
    const src = pattern(10, 8);
    // centres (0,0): [−2,2) → [0,2); (7,5): [5,9)×[3,7); (8,6): [6,10)×[4,8)
    const out = cutoutHoles(sample(src), [0, 0, 7, 5, 8, 6], 4, 0, 0.1);
    assertPainted(out.image, src, [
      '##........',
      '##........',
      '..........',
      '.....####.',
      '.....#####',
      '.....#####',
      '.....#####',
      '......####',
    ], [0, 0, 0]);
  });

  it('an odd side keeps its length: side 3 at (4, 2) covers columns 3..5, rows 1..3', () => {
    const src = pattern(10, 8);
    const out = cutoutHoles(sample(src), [4, 2], 3, [1, 2, 3], 0.1);
    assertPainted(out.image, src, [
      '..........',
      '...###....',
      '...###....',
      '...###....',
      '..........', '..........', '..........', '..........',
    ], [1, 2, 3]);
    assert.deepEqual(Array.from(cutoutRects([4, 2], 3)), [3, 1, 6, 4]);
  });

  it('side from size (fraction of min(W, H), rounded) or sizePx', () => {
    assert.equal(cutoutSide(608, 400, { size: 0.5 }), 200);
    assert.equal(cutoutSide(10, 8, { size: 0.3 }), 2); // 2.4
    assert.equal(cutoutSide(10, 7, { size: 0.5 }), 4); // 3.5 rounds up
    assert.equal(cutoutSide(10, 8, { size: 0.01 }), 1); // never below one pixel
    assert.equal(cutoutSide(10, 8, { sizePx: 5 }), 5);
    assert.equal(cutoutSide(10, 8, {}), 4);
  });

  it('the kernel draws each centre row first, then column, uniform over the image', () => {
    const W = 12;
    const H = 9;
    const s = sample(pattern(W, H));
    const ranges: [number, number][] = [];
    const out = cutoutKernel(s, { holes: 2, sizePx: 2 }, scripted([], [8, 11, 0, 3], ranges));
    assert.deepEqual(ranges, [[0, H - 1], [0, W - 1], [0, H - 1], [0, W - 1]]);
    const want = cutoutHoles(s, [11, 8, 3, 0], 2, 0, DEFAULT_MIN_VISIBILITY);
    assert.deepEqual(out.image.data, want.image.data);
    // every centre cell reachable: hole counts per centre pixel over many draws
    const seen = new Set<number>();
    const rng = new Rng(5);
    for (let k = 0; k < 2000; k++) seen.add(rng.int(0, H - 1) * W + rng.int(0, W - 1));
    assert.equal(seen.size, W * H);
  });
});

describe('grid mask (pure)', () => {
  it('agrees with the official GridMask (mode 1) pixel by pixel on 10×8', () => {
    // official d=4, ratio 0.5, st_h 1, st_w 3, hh 13, crop (2, 1) → δy = 3, δx = 2
    const src = pattern(10, 8);
    const a = applyGridMask(sample(src), { d: 4, ratio: 0.5, dx: 2, dy: 3, angle: 0 }, 0, 0.1);
    assertPainted(a.image, src, [
      '..........',
      '##..##..##',
      '##..##..##',
      '..........',
      '..........',
      '##..##..##',
      '##..##..##',
      '..........',
    ], [0, 0, 0]);
    // official d=5, ratio 0.6 (l = 3, squares of 2), st_h 4, st_w 0 → δy = 2, δx = 4
    assert.deepEqual(runsPicture(gridRuns(10, 8, { d: 5, ratio: 0.6, dx: 4, dy: 2, angle: 0 })), [
      '..##...##.',
      '..##...##.',
      '..........',
      '..........',
      '..........',
      '..##...##.',
      '..##...##.',
      '..........',
    ]);
  });

  it('rotation by 90° about the centre of an 8×8 image: u = 7 − y, v = x', () => {
    const p = { d: 4, ratio: 0.5, dx: 1, dy: 0, angle: 90 };
    const l = 2;
    const want = picture((x, y) => (((7 - y - p.dx) % 4) + 4) % 4 >= l && (x - p.dy + 4) % 4 >= l, 8, 8);
    assert.deepEqual(want, [
      '..##..##',
      '........',
      '........',
      '..##..##',
      '..##..##',
      '........',
      '........',
      '..##..##',
    ]);
    assert.deepEqual(runsPicture(gridRuns(8, 8, p)), want);
    // 360° is no rotation
    assert.deepEqual(runsPicture(gridRuns(10, 8, { d: 5, ratio: 0.6, dx: 4, dy: 2, angle: 360 })),
      runsPicture(gridRuns(10, 8, { d: 5, ratio: 0.6, dx: 4, dy: 2, angle: 0 })));
  });

  it('any angle: the runs equal the per-pixel 16.16 fixed-point definition', () => {
    const fix = 65536;
    const floorMod = (a: number, d: number) => ((a % d) + d) % d;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 17 }),
        fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(), fc.nat(), fc.double({ min: -720, max: 720, noNaN: true }),
        (W, H, d, ratio, ox, oy, angle) => {
          const p = { d, ratio, dx: ox % d, dy: oy % d, angle };
          const l = Math.ceil(d * ratio);
          const zero = angle % 360 === 0;
          const t = ((angle % 360) * Math.PI) / 180;
          const c = zero ? 1 : Math.cos(t);
          const s = zero ? 0 : Math.sin(t);
          const su = Math.round(fix * c);
          const sv = Math.round(fix * s);
          const want = picture((x, y) => {
            const py = y + 0.5 - H / 2;
            const u = Math.round(fix * (W / 2 + c * (0.5 - W / 2) - s * py)) + x * su;
            const v = Math.round(fix * (H / 2 + s * (0.5 - W / 2) + c * py)) + x * sv;
            return floorMod(Math.floor(u / fix) - p.dx, d) >= l && floorMod(Math.floor(v / fix) - p.dy, d) >= l;
          }, W, H);
          assert.deepEqual(runsPicture(gridRuns(W, H, p)), want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('masked fraction is ((d − ceil(d·r)) / d)² — 0.16 at r = 0.6 — over many units, rotated or not', () => {
    // d = 10, r = 0.6: l = 6, squares of 4: exactly 16/100 on a 400×300 image (whole units)
    assert.equal(paintedCount(gridRuns(400, 300, { d: 10, ratio: 0.6, dx: 3, dy: 7, angle: 0 })) / (400 * 300), 0.16);
    // d = 7: l = ceil(4.2) = 5, squares of 2: (2/7)² = 0.08163
    const f7 = paintedCount(gridRuns(700, 490, { d: 7, ratio: 0.6, dx: 0, dy: 4, angle: 0 })) / (700 * 490);
    assert.equal(f7, 4 / 49);
    for (const angle of [17, 45, 123.4]) {
      const f = paintedCount(gridRuns(400, 300, { d: 20, ratio: 0.6, dx: 5, dy: 11, angle })) / (400 * 300);
      assert.ok(Math.abs(f - 0.16) < 0.005, `${angle}°: ${f}`);
    }
    // the kernel's default d ~ [96, 224) at r = 0.6 on 608×608: about 0.16 on average
    let sum = 0;
    for (let k = 0; k < 40; k++) {
      const rng = new Rng(11, k);
      const d = rng.int(96, 223);
      sum += paintedCount(gridRuns(608, 608, { d, ratio: 0.6, dx: rng.int(0, d - 1), dy: rng.int(0, d - 1), angle: 0 })) / 608 ** 2;
    }
    assert.ok(Math.abs(sum / 40 - 0.16) < 0.03, `${sum / 40}`);
    // r = 1 masks nothing, r = 0 masks everything
    assert.equal(paintedCount(gridRuns(20, 10, { d: 5, ratio: 1, dx: 0, dy: 0, angle: 30 })), 0);
    assert.equal(paintedCount(gridRuns(20, 10, { d: 5, ratio: 0, dx: 2, dy: 1, angle: 30 })), 200);
  });

  it('the kernel draws d ~ [d1, d2), then δy, δx ~ [0, d), then the angle only when rotate > 0', () => {
    const s = sample(pattern(30, 20));
    const ranges: [number, number][] = [];
    const uniforms = [12.5];
    const out = gridMaskKernel(s, { d1: 4, d2: 9, ratio: 0.5, rotate: 30 }, scripted(uniforms, [6, 5, 2], ranges));
    assert.deepEqual(ranges, [[4, 8], [0, 5], [0, 5]]);
    assert.equal(uniforms.length, 0);
    assert.deepEqual(out.image.data, applyGridMask(s, { d: 6, ratio: 0.5, dx: 2, dy: 5, angle: 12.5 }, 0, 0.1).image.data);
    const none = gridMaskKernel(s, { d1: 4, d2: 9, ratio: 0.5 }, scripted([], [6, 5, 2]));
    assert.deepEqual(none.image.data, applyGridMask(s, { d: 6, ratio: 0.5, dx: 2, dy: 5, angle: 0 }, 0, 0.1).image.data);
  });
});

describe('visibility rule', () => {
  it('a 10×10 box with a 5×10 hole is 0.5 visible: dropped at minVisibility 0.6, kept at 0.5 and 0.4', () => {
    const src = pattern(20, 20);
    const s = sample(src, [0, 0, 10, 10]);
    const hole = rectRuns(20, 20, [5, 0, 10, 10]);
    assert.deepEqual(Array.from(visibleFractions(s.boxes, hole)), [0.5]);
    assert.equal(occlude(s, hole, 0, 0.6).classes.length, 0);
    assert.equal(occlude(s, hole, 0, 0.5).classes.length, 1);
    assert.equal(occlude(s, hole, 0, 0.4).classes.length, 1);
    // the same through the pure functions of each transform
    assert.equal(eraseRect(s, { x: 5, y: 0, width: 5, height: 10 }, 0, 0.6).classes.length, 0);
    assert.equal(eraseRect(s, { x: 5, y: 0, width: 5, height: 10 }, 0, 0.4).classes.length, 1);
  });

  it('overlapping holes are counted once', () => {
    const s = sample(pattern(20, 20), [0, 0, 10, 10]);
    // columns 0..4 and 3..4 overlap: the union hides 5×10, not 7×10
    const holes = rectRuns(20, 20, [0, 0, 5, 10, 3, 0, 5, 10]);
    assert.deepEqual(Array.from(visibleFractions(s.boxes, holes)), [0.5]);
    // two cutout squares of 6 at (3, 5) and (5, 5): columns 0..5 ∪ 2..7 = 0..7, rows 2..7 → 8×6 of the box hidden
    const cut = cutoutHoles(s, [3, 5, 5, 5], 6, 0, 0.53);
    assert.equal(cut.classes.length, 0);
    assert.deepEqual(Array.from(visibleFractions(s.boxes, rectRuns(20, 20, cutoutRects([3, 5, 5, 5], 6)))), [0.52]);
    assert.equal(cutoutHoles(s, [3, 5, 5, 5], 6, 0, 0.52).classes.length, 1);
  });

  it('fractional coverage: pixels count by the area the box covers', () => {
    const holes = rectRuns(20, 20, [0, 0, 5, 20]);
    const boxes = new Float32Array([
      0.5, 0, 10.5, 10, // hidden 4.5 × 10 of 100 → 0.55
      4.25, 2, 6.25, 4, // hidden 0.75 × 2 of 2 × 2 → 0.625
      2, 2, 4, 8, // entirely inside the hole → 0
      -5, 0, 5, 10, // clipped to [0,5]×[0,10]: all hidden → 0
      7, 7, 7, 9, // zero area: nothing to hide → 1
      30, 30, 40, 40, // outside the image: zero clipped area → 1
    ]);
    assert.deepEqual(Array.from(visibleFractions(boxes, holes)), [0.55, 0.625, 0, 0, 1, 1]);
  });

  it('dropped boxes take their class, weight and flags with them; Ignore boxes follow the same rule', () => {
    const src = pattern(20, 20);
    const s = sample(src, [0, 0, 10, 10, 10, 0, 20, 10, 0, 10, 10, 20, 12, 12, 18, 18],
      [BoxFlag.Ignore, BoxFlag.Ignore, BoxFlag.Truncated, 0]);
    // hole [0,12)×[0,20): box 0 fully hidden (0), box 1 0.8 visible, box 2 hidden (0), box 3 untouched
    const out = occlude(s, rectRuns(20, 20, [0, 0, 12, 20]), 0, 0.1);
    assert.deepEqual(Array.from(out.classes), [1, 3]);
    assert.deepEqual(Array.from(out.weights), [1.5, 3.5]);
    assert.deepEqual(Array.from(out.flags), [BoxFlag.Ignore, 0]);
    assert.deepEqual(Array.from(out.boxes), [10, 0, 20, 10, 12, 12, 18, 18]);
    // input untouched
    assert.equal(s.classes.length, 4);
    assert.equal(s.boxes[0], 0);
    // minVisibility 0 keeps everything
    assert.equal(occlude(s, rectRuns(20, 20, [0, 0, 20, 20]), 0, 0).classes.length, 4);
    // minVisibility 1 drops a box that loses a single pixel's quarter
    const q = occlude(sample(src, [0.5, 0.5, 4, 4]), rectRuns(20, 20, [0, 0, 1, 1]), 0, 1);
    assert.equal(q.classes.length, 0);
  });
});

describe('fills', () => {
  it("'mean' is the image's mean colour, rounded (worked 3×2 image → 35, 3, 85)", () => {
    const data = new Uint8Array([10, 0, 255, 20, 1, 254, 30, 2, 0, 40, 3, 0, 50, 4, 0, 61, 5, 0]);
    const img = { data, width: 3, height: 2 };
    // means 35.1667, 2.5, 84.8333 (test/reference/occlusion.py), rounded half up
    assert.deepEqual(meanColour(img), [35, 3, 85]);
    const out = eraseRect(sample(img), { x: 1, y: 0, width: 1, height: 2 }, 'mean', 0.1);
    assertPainted(out.image, img, ['.#.', '.#.'], [35, 3, 85]);
  });

  it("'mean' agrees with a plain sum on large, odd-sized and unaligned images", () => {
    for (const [w, h, offset] of [[608, 608, 0], [37, 23, 0], [1, 1, 0], [101, 67, 1], [5, 3, 3]] as const) {
      const rng = new Rng(w, h);
      const buf = new Uint8Array(w * h * 3 + offset);
      for (let i = 0; i < buf.length; i++) buf[i] = rng.u32() & 255;
      const data = buf.subarray(offset);
      const sum = [0, 0, 0];
      for (let i = 0; i < data.length; i++) sum[i % 3]! += data[i]!;
      assert.deepEqual(meanColour({ data, width: w, height: h }), sum.map((v) => Math.round(v / (w * h))), `${w}×${h}+${offset}`);
    }
    // all 255 on a big image: no lane overflow
    const full = new Uint8Array(640 * 480 * 3).fill(255);
    assert.deepEqual(meanColour({ data: full, width: 640, height: 480 }), [255, 255, 255]);
  });

  it("'random' bytes: an sfc32 stream seeded by four rng.u32() draws, low byte first, row-major through the painted pixels", () => {
    const src = pattern(10, 8);
    const holes = rectRuns(10, 8, [1, 1, 4, 2, 8, 1, 10, 3]); // row 1: x 1..3 and 8..9; row 2: x 8..9
    const out = occlude(sample(src), holes, 'random', 0.1, new Rng(42, 7));
    const rng = new Rng(42, 7);
    // sfc32 as published (Chris Doty-Humphrey's PractRand), state a, b, c, counter
    const st = [rng.u32(), rng.u32(), rng.u32(), rng.u32()];
    const sfc32 = () => {
      const [a, b, c, n] = st as [number, number, number, number];
      const t = (a + b + n) >>> 0;
      st[3] = (n + 1) >>> 0;
      st[0] = (b ^ (b >>> 9)) >>> 0;
      st[1] = (c + c * 8) >>> 0;
      st[2] = ((((c << 21) | (c >>> 11)) >>> 0) + t) >>> 0;
      return t;
    };
    for (let k = 0; k < 12; k++) sfc32();
    const bytes: number[] = [];
    for (let k = 0; k < 6; k++) {
      const w = sfc32();
      bytes.push(w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24);
    }
    const at = (x: number, y: number) => Array.from(out.image.data.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3));
    const painted = [[1, 1], [2, 1], [3, 1], [8, 1], [9, 1], [8, 2], [9, 2]];
    painted.forEach(([x, y], k) => assert.deepEqual(at(x!, y!), bytes.slice(3 * k, 3 * k + 3), `pixel (${x}, ${y})`));
    // nothing else changed
    let changed = 0;
    for (let i = 0; i < src.data.length; i++) if (out.image.data[i] !== src.data[i]) changed++;
    assert.ok(changed <= 21 && changed >= 15, `${changed} bytes changed`);
  });

  it("'random' is deterministic for a fixed rng key, different for another, and uniform", () => {
    const s = sample(pattern(64, 48));
    const a = cutoutKernel(s, { holes: 3, size: 0.4, fill: 'random' }, new Rng(1, 2, 3));
    const b = cutoutKernel(s, { holes: 3, size: 0.4, fill: 'random' }, new Rng(1, 2, 3));
    const c = cutoutKernel(s, { holes: 3, size: 0.4, fill: 'random' }, new Rng(1, 2, 4));
    assert.deepEqual(a.image.data, b.image.data);
    assert.notDeepEqual(a.image.data, c.image.data);
    const big = eraseRect(sample(pattern(200, 200)), { x: 0, y: 0, width: 200, height: 200 }, 'random', 0.1, new Rng(8));
    const hist = new Array<number>(256).fill(0);
    let sum = 0;
    for (const v of big.image.data) {
      hist[v]!++;
      sum += v;
    }
    assert.ok(Math.abs(sum / big.image.data.length - 127.5) < 0.5);
    // 120 000 bytes, ~469 per value: every value between 350 and 600
    assert.ok(Math.min(...hist) > 350 && Math.max(...hist) < 600, `${Math.min(...hist)}..${Math.max(...hist)}`);
    assert.throws(() => eraseRect(s, { x: 0, y: 0, width: 2, height: 2 }, 'random', 0.1), /needs an rng/);
  });
});

describe('factories', () => {
  it('defaults and registry names', () => {
    assert.deepEqual(randomErasing(), { name: 'randomErasing', p: 0.5, options: { area: [0.02, 0.4], ratio: [0.3, 3.3], fill: 'random', minVisibility: 0.1 } });
    assert.deepEqual(cutout(), { name: 'cutout', p: 0.5, options: { holes: 1, size: 0.5, fill: 0, minVisibility: 0.1 } });
    assert.deepEqual(cutout({ sizePx: 16, holes: 2 }).options, { holes: 2, sizePx: 16, fill: 0, minVisibility: 0.1 });
    assert.deepEqual(gridMask(), { name: 'gridMask', p: 0.5, options: { d1: 96, d2: 224, ratio: 0.6, rotate: 0, fill: 0, minVisibility: 0.1 } });
    assert.deepEqual(Object.keys(occlusionKernels).sort(), ['cutout', 'gridMask', 'randomErasing']);
    for (const spec of [randomErasing({ fill: [1, 2, 3] }), cutout({ fill: 'mean' }), gridMask({ rotate: 90 })]) {
      assert.ok(occlusionKernels[spec.name]);
      assert.deepEqual(structuredClone(spec), spec);
    }
  });

  it('rejects bad options with a message that says what to pass', () => {
    assert.throws(() => randomErasing({ fill: 'blue' as unknown as Fill }), /fill: pass a grey level 0\.\.255, an \[r, g, b\] triple/);
    assert.throws(() => randomErasing({ fill: 256 }), /fill values are 0\.\.255/);
    assert.throws(() => randomErasing({ ratio: [3, 1] }), /ratio: a range is \[lo, hi\]/);
    assert.throws(() => randomErasing({ area: [0.1, 1.5] }), /area/);
    assert.throws(() => randomErasing({ minVisibility: 2 }), /minVisibility is a fraction/);
    assert.throws(() => cutout({ size: 0.3, sizePx: 10 }), /pass either size .* or sizePx .*, not both/);
    assert.throws(() => cutout({ size: 2 }), /for pixels pass sizePx/);
    assert.throws(() => cutout({ holes: 0 }), /holes must be ≥ 1/);
    assert.throws(() => gridMask({ d1: 100, d2: 100 }), /d2 must be > d1/);
    assert.throws(() => gridMask({ d1: 0.2, d2: 0.5 }), /whole pixels/);
    assert.throws(() => gridMask({ ratio: 1.2 }), /ratio/);
    assert.throws(() => gridMask({ size: 3 } as never), /Unrecognized key/);
  });
});

describe('occlusion properties', () => {
  /** A coordinate on a quarter-pixel grid, so every coverage sum is exact in both computations. */
  const quarter = (max: number) => fc.integer({ min: 0, max: 4 * max }).map((k) => k / 4);

  const arb = fc
    .record({ W: fc.integer({ min: 1, max: 24 }), H: fc.integer({ min: 1, max: 24 }) })
    .chain(({ W, H }) =>
      fc.record({
        W: fc.constant(W),
        H: fc.constant(H),
        boxes: fc.array(
          fc.tuple(quarter(W), quarter(H), quarter(W), quarter(H))
            .map(([a, b, c, d]) => [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)]),
          { maxLength: 8 },
        ),
        bytes: fc.uint8Array({ minLength: W * H * 3, maxLength: W * H * 3 }),
        kind: fc.constantFrom('randomErasing', 'cutout', 'gridMask'),
        holes: fc.integer({ min: 1, max: 4 }),
        size: fc.double({ min: 0.05, max: 1, noNaN: true }),
        d1: fc.integer({ min: 1, max: 12 }),
        dSpan: fc.integer({ min: 1, max: 8 }),
        ratio: fc.double({ min: 0, max: 1, noNaN: true }),
        rotate: fc.constantFrom(0, 0, 45, 360),
        fill: fc.constantFrom<Fill>(0, [0, 0, 0]),
        minVisibility: fc.oneof(fc.constantFrom(0, 0.1, 0.25, 0.5, 0.75, 1), fc.double({ min: 0, max: 1, noNaN: true })),
        key: fc.nat(),
      }),
    );

  it('same image size, unpainted pixels unchanged, survivors are input boxes unchanged, drops are exactly those below minVisibility', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const { W, H } = c;
        // no 0 byte in the input, so painted pixels (fill 0) are exactly the all-zero ones
        const data = c.bytes.map((v) => v | 1);
        const s = sample({ data, width: W, height: H }, c.boxes.flat(), c.boxes.map((_, i) => (i % 2 ? BoxFlag.Ignore : 0)));
        const options =
          c.kind === 'randomErasing' ? { fill: c.fill, minVisibility: c.minVisibility }
          : c.kind === 'cutout' ? { holes: c.holes, size: c.size, fill: c.fill, minVisibility: c.minVisibility }
          : { d1: c.d1, d2: c.d1 + c.dSpan, ratio: c.ratio, rotate: c.rotate, fill: c.fill, minVisibility: c.minVisibility };
        const out = occlusionKernels[c.kind]!(s, options, new Rng(c.key)) as Annotated;
        assert.equal(out.image.width, W);
        assert.equal(out.image.height, H);
        assert.equal(out.image.data.length, W * H * 3);
        const painted = new Uint8Array(W * H);
        for (let p = 0; p < W * H; p++) {
          const o = out.image.data.subarray(p * 3, p * 3 + 3);
          if (o[0] === 0 && o[1] === 0 && o[2] === 0) painted[p] = 1;
          else assert.deepEqual(Array.from(o), Array.from(data.subarray(p * 3, p * 3 + 3)), `pixel ${p}`);
        }
        // brute force: every pixel's covered area inside the clipped box
        const expected: number[] = [];
        c.boxes.forEach(([x1, y1, x2, y2], i) => {
          const bx1 = Math.min(Math.max(x1!, 0), W), bx2 = Math.min(Math.max(x2!, 0), W);
          const by1 = Math.min(Math.max(y1!, 0), H), by2 = Math.min(Math.max(y2!, 0), H);
          const area = (bx2 - bx1) * (by2 - by1);
          let hidden = 0;
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < W; x++) {
              if (!painted[y * W + x]) continue;
              const ow = Math.max(0, Math.min(x + 1, bx2) - Math.max(x, bx1));
              const oh = Math.max(0, Math.min(y + 1, by2) - Math.max(y, by1));
              hidden += ow * oh;
            }
          }
          const visible = area > 0 ? (area - hidden) / area : 1;
          if (c.minVisibility <= 0 || visible >= c.minVisibility) expected.push(i);
        });
        assert.deepEqual(Array.from(out.classes), expected);
        assert.equal(out.boxes.length, expected.length * 4);
        expected.forEach((i, j) => {
          assert.deepEqual(Array.from(out.boxes.subarray(j * 4, j * 4 + 4)), c.boxes[i]);
          assert.equal(out.weights[j], i + 0.5);
          assert.equal(out.flags[j], i % 2 ? BoxFlag.Ignore : 0);
        });
      }),
      { numRuns: 400 },
    );
  });
});
