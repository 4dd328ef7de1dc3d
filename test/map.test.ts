/**
 * COCO box mAP (SPEC §13): worked cases by hand, and synthetic sets against
 * test/reference/map.py — our numpy re-implementation of pycocotools' COCOeval algorithm
 * (Debian has no python3-pycocotools package, and no other registry is reachable here).
 * The reference walks the data per image like COCOeval; src/train/map.ts does not, so the
 * two agree only if the definition does. They agree to 1e-12; SPEC asks for 1e-4.
 *
 * AP by hand (101 recall points r = 0, 0.01, …, 1; precision made non-increasing from the
 * right; precision at the first rank whose recall ≥ r, 0 past the last recall):
 * - one FP above the only TP (1 gt): ranks (rc 0, pr 0), (rc 1, pr 1/2) → envelope ½ at
 *   every r → AP ½;
 * - TP, FP, TP over 2 gts: (½, 1), (½, ½), (1, ⅔) → envelope 1, ⅔, ⅔: r ≤ 0.5 (51 points)
 *   take 1, r ≥ 0.51 (50 points) take ⅔ → AP = (51 + 50·⅔)/101 = 253/303;
 * - FP above two TPs: (0, 0), (½, ½), (1, ⅔) → ⅔ everywhere → AP ⅔;
 * - FP, FP, TP over 2 gts: the TP at (½, ⅓) → AP = 51·⅓/101 = 17/101.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COCO_IOU_THRESHOLDS, evaluateMap, type MapDetection, type MapGroundTruth, type MapResult } from '../src/train/map.ts';
import { ConfigError } from '../src/core/errors.ts';

type Ref = { map: number; map50: number; map75: number; perClass: [number, number, number, number][] };

function close(got: number, want: number, tol: number, what: string): void {
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want}`);
}

function assertMatches(r: MapResult, ref: Ref, tol = 1e-12): void {
  close(r.map, ref.map, tol, 'map');
  close(r.map50, ref.map50, tol, 'map50');
  close(r.map75, ref.map75, tol, 'map75');
  assert.deepEqual(r.perClass.map((c) => c.classId), ref.perClass.map((c) => c[0]));
  r.perClass.forEach((c, i) => {
    const [, ap, ap50, ap75] = ref.perClass[i]!;
    close(c.ap, ap, tol, `class ${c.classId} ap`);
    close(c.ap50, ap50, tol, `class ${c.classId} ap50`);
    close(c.ap75, ap75, tol, `class ${c.classId} ap75`);
  });
}

const gt = (imageId: number | string, box: number[], extra: Partial<MapGroundTruth> = {}): MapGroundTruth => ({ imageId, classId: 0, box, ...extra });
const det = (imageId: number | string, score: number, box: number[], classId = 0): MapDetection => ({ imageId, classId, score, box });

describe('evaluateMap: worked cases', () => {
  it('perfect detections score 1 at every threshold', () => {
    const g = [gt(1, [0, 0, 10, 10]), gt(1, [20, 20, 50, 40], { classId: 1 }), gt(2, [5, 5, 100, 60]), gt(2, [1, 2, 3, 4], { classId: 1 })];
    const d = g.map((x, i) => det(x.imageId, 0.9 - i * 0.1, [...(x.box as number[])], x.classId));
    const r = evaluateMap(g, d);
    // pr = tp / (tp + fp + 2⁻⁵²) is 1 − 2⁻⁵²·… , not exactly 1
    close(r.map, 1, 1e-12, 'map');
    close(r.map50, 1, 1e-12, 'map50');
    close(r.map75, 1, 1e-12, 'map75');
    assert.deepEqual(r.perClass.map((c) => [c.classId, c.gtCount]), [[0, 2], [1, 2]]);
  });

  it('one FP above the only TP: AP ½', () => {
    const r = evaluateMap([gt(1, [0, 0, 10, 10])], [det(1, 0.9, [50, 50, 60, 60]), det(1, 0.8, [0, 0, 10, 10])]);
    assertMatches(r, { map: 0.5, map50: 0.5, map75: 0.5, perClass: [[0, 0.5, 0.5, 0.5]] });
  });

  it('TP, FP, TP over two gts: AP 253/303', () => {
    const g = [gt(1, [0, 0, 10, 10]), gt(1, [20, 20, 40, 40])];
    const r = evaluateMap(g, [det(1, 0.9, [0, 0, 10, 10]), det(1, 0.8, [50, 50, 60, 60]), det(1, 0.7, [20, 20, 40, 40])]);
    close(r.map, 253 / 303, 1e-12, 'map');
    // reference (test/reference/map.py, hand: TP, FP, TP)
    assertMatches(r, { map: 0.8349834983498348, map50: 0.834983498349835, map75: 0.834983498349835, perClass: [[0, 0.8349834983498348, 0.834983498349835, 0.834983498349835]] });
  });

  it('FP above two TPs: AP ⅔', () => {
    const g = [gt(1, [0, 0, 10, 10]), gt(1, [20, 20, 40, 40])];
    const r = evaluateMap(g, [det(1, 0.9, [50, 50, 60, 60]), det(1, 0.8, [0, 0, 10, 10]), det(1, 0.7, [20, 20, 40, 40])]);
    close(r.map, 2 / 3, 1e-12, 'map');
  });

  it('an IoU of exactly 0.8 is a TP at 0.50…0.80 (7 of 10 thresholds)', () => {
    const r = evaluateMap([gt(1, [0, 0, 10, 10])], [det(1, 0.9, [0, 0, 10, 8])]);
    close(r.map, 0.7, 1e-12, 'map');
    close(r.map50, 1, 1e-12, 'map50');
    close(r.map75, 1, 1e-12, 'map75');
  });

  it('detections inside a crowd region are neither TP nor FP; crowd IoU = intersection / detection area', () => {
    const g = [gt(1, [200, 200, 250, 250]), gt(1, [0, 0, 100, 100], { iscrowd: true })];
    // two detections inside the crowd box (crowd IoU 1, and 800/800), the crowd gt matches both
    const d = [det(1, 0.9, [10, 10, 30, 30]), det(1, 0.85, [50, 50, 90, 70]), det(1, 0.8, [200, 200, 250, 250])];
    const r = evaluateMap(g, d);
    close(r.map, 1, 1e-12, 'map');
    assert.equal(r.perClass[0]!.gtCount, 1);
    // the same box as a regular gt: FP, FP, TP over 2 gts → 17/101
    const off = evaluateMap(g.map((x) => ({ ...x, iscrowd: false })), d);
    close(off.map, 17 / 101, 1e-12, 'map without crowd');
  });

  it('the ignore flag ignores matches with a plain IoU', () => {
    const g = [gt(1, [200, 200, 250, 250]), gt(1, [0, 0, 100, 100], { ignore: true })];
    // IoU 0.81 with the ignored box: ignored at 0.50…0.80, a FP above the TP at 0.85…0.95
    const r = evaluateMap(g, [det(1, 0.9, [0, 0, 90, 90]), det(1, 0.8, [200, 200, 250, 250])]);
    // 7 thresholds AP 1, 3 thresholds AP ½ (FP above the only TP)
    close(r.map, (7 + 1.5) / 10, 1e-12, 'map');
    close(r.map50, 1, 1e-12, 'map50');
  });

  it('a detection prefers a regular gt to a better-overlapping crowd gt', () => {
    // IoU 0.6 with the regular box, crowd IoU 1: TP at 0.50…0.60, then only the crowd
    // matches, so the detection is ignored and the regular gt is missed (AP 0).
    const g = [gt(1, [0, 0, 12, 10], { iscrowd: true }), gt(1, [0, 0, 10, 6])];
    const r = evaluateMap(g, [det(1, 0.9, [0, 0, 10, 10])]);
    assertMatches(r, { map: 0.29999999999999993, map50: 0.9999999999999999, map75: 0, perClass: [[0, 0.29999999999999993, 0.9999999999999999, 0]] });
  });

  it('score ties across images follow numeric image order (9 before 10)', () => {
    const g = [gt(9, [0, 0, 10, 10]), gt(10, [0, 0, 10, 10])];
    // the FP (image 9) ranks above the TP (image 10): (0, 0), (½, ½) → 51·½/101
    const r = evaluateMap(g, [det(10, 0.5, [0, 0, 10, 10]), det(9, 0.5, [50, 50, 60, 60])]);
    close(r.map, 25.5 / 101, 1e-12, 'map');
    // swap which image holds the FP: the TP ranks first → 51·1/101
    const s = evaluateMap(g, [det(9, 0.5, [0, 0, 10, 10]), det(10, 0.5, [50, 50, 60, 60])]);
    close(s.map, 51 / 101, 1e-12, 'map swapped');
  });

  it('score ties within an image follow input order', () => {
    const g = [gt('a', [0, 0, 10, 10]), gt('a', [20, 20, 30, 30])];
    const fpFirst = evaluateMap(g, [det('a', 0.5, [50, 50, 60, 60]), det('a', 0.5, [0, 0, 10, 10])]);
    close(fpFirst.map, 25.5 / 101, 1e-12, 'FP listed first');
    const tpFirst = evaluateMap(g, [det('a', 0.5, [0, 0, 10, 10]), det('a', 0.5, [50, 50, 60, 60])]);
    close(tpFirst.map, 51 / 101, 1e-12, 'TP listed first');
  });

  it('a second detection of a matched gt is a FP, and a duplicate gt can absorb it', () => {
    const g = [gt(1, [0, 0, 10, 10])];
    const d = [det(1, 0.9, [0, 0, 10, 10]), det(1, 0.8, [0, 0, 10, 10])];
    close(evaluateMap(g, d).map, 1, 1e-12, 'TP then FP keeps AP 1 (precision envelope)');
    const two = evaluateMap([g[0]!, gt(1, [0, 0, 10, 10])], d);
    close(two.map, 1, 1e-12, 'two identical gts, two TPs');
    const miss = evaluateMap([g[0]!, gt(1, [0, 0, 10, 10])], [d[0]!]);
    close(miss.map, 51 / 101, 1e-12, 'one of two found: recall ½');
  });

  it('maxDets keeps the highest scores per image and class', () => {
    const g = [gt(1, [0, 0, 10, 10]), gt(1, [20, 0, 30, 10]), gt(1, [40, 0, 50, 10], { classId: 1 })];
    const d = [det(1, 0.7, [0, 0, 10, 10]), det(1, 0.9, [20, 0, 30, 10]), det(1, 0.8, [60, 0, 70, 10]), det(1, 0.1, [40, 0, 50, 10], 1)];
    // class 0 keeps 0.9 (TP) and 0.8 (FP): (½, 1), (½, ½) → 51/101; class 1's lone detection stays
    const r = evaluateMap(g, d, { maxDets: 2 });
    close(r.perClass[0]!.ap, 51 / 101, 1e-12, 'class 0');
    close(r.perClass[1]!.ap, 1, 1e-12, 'class 1');
    close(evaluateMap(g, d).perClass[0]!.ap, 253 / 303, 1e-12, 'all kept: TP, FP, TP');
  });

  it('classes without a gt get −1 and stay out of the mean; detections on images without gt are FPs', () => {
    const r = evaluateMap([gt(1, [0, 0, 10, 10])], [det(1, 0.5, [0, 0, 10, 10]), det(1, 0.9, [0, 0, 10, 10], 7), det(2, 0.9, [0, 0, 10, 10])]);
    assert.deepEqual(r.perClass.map((c) => [c.classId, c.ap, c.gtCount]), [[0, r.perClass[0]!.ap, 1], [7, -1, 0]]);
    // class 0: FP on image 2 (0.9) above the TP (0.5)
    close(r.map, 0.5, 1e-12, 'map');
  });

  it('no gt at all gives −1 (pycocotools summarize), no detections gives 0', () => {
    assert.deepEqual(evaluateMap([], []), { map: -1, map50: -1, map75: -1, perClass: [] });
    const r = evaluateMap([], [det(1, 0.5, [0, 0, 1, 1])]);
    assert.equal(r.map, -1);
    const z = evaluateMap([gt(1, [0, 0, 10, 10])], []);
    assert.deepEqual([z.map, z.map50, z.map75, z.perClass[0]!.ap], [0, 0, 0, 0]);
  });

  it('uses pycocotools’ IoU thresholds and validates options', () => {
    assert.deepEqual(COCO_IOU_THRESHOLDS, [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95]);
    assert.throws(() => evaluateMap([], [], { maxDets: 0 }), ConfigError);
    assert.throws(() => evaluateMap([], [], { iouThreshold: 0.5 } as never), ConfigError);
    assert.throws(() => evaluateMap([gt(1, [0, 0, 1])], []), TypeError);
    // custom thresholds: AP@0.5 only
    const r = evaluateMap([gt(1, [0, 0, 10, 10])], [det(1, 0.9, [0, 0, 10, 6])], { iouThresholds: [0.5, 0.75] });
    close(r.map, 0.5, 1e-12, 'map over [0.5, 0.75]');
  });
});

// ---- synthetic sets, the same generator as test/reference/map.py -------------------------
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(1664525, x) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

function synth(seed: number, nImages: number, nClasses: number, crowdRate: number, maxObj = 8, maxFp = 4) {
  const next = lcg(seed);
  const gts: MapGroundTruth[] = [];
  const dts: MapDetection[] = [];
  for (let img = 0; img < nImages; img++) {
    const imageId = 3 * img + 1;
    const nObj = Math.floor(next() * maxObj);
    for (let o = 0; o < nObj; o++) {
      const u = Array.from({ length: 16 }, next);
      const c = Math.floor(u[0]! * nClasses);
      const x = u[1]! * 500, y = u[2]! * 400;
      const w = 4 + u[3]! * 150, h = 4 + u[4]! * 150;
      gts.push({ imageId, classId: c, box: [x, y, x + w, y + h], iscrowd: u[5]! < crowdRate });
      if (u[6]! < 0.85) {
        const dx = (u[7]! - 0.5) * 0.3 * w, dy = (u[8]! - 0.5) * 0.3 * h;
        const sw = 1 + (u[9]! - 0.5) * 0.4, sh = 1 + (u[10]! - 0.5) * 0.4;
        const dc = u[12]! < 0.1 ? Math.floor(u[11]! * nClasses) : c;
        const bx1 = x + dx, by1 = y + dy;
        dts.push({ imageId, classId: dc, score: u[13]!, box: [bx1, by1, bx1 + w * sw, by1 + h * sh] });
        if (u[14]! < 0.2) dts.push({ imageId, classId: dc, score: u[13]! * u[15]!, box: [bx1 + 2, by1 - 1, bx1 + w * sw + 3, by1 + h * sh + 1] });
      }
    }
    const nFp = Math.floor(next() * maxFp);
    for (let f = 0; f < nFp; f++) {
      const u = Array.from({ length: 6 }, next);
      const c = Math.floor(u[0]! * (nClasses + 1));
      const x = u[1]! * 500, y = u[2]! * 400;
      const w = 4 + u[3]! * 120, h = 4 + u[4]! * 120;
      dts.push({ imageId, classId: c, score: u[5]! * 0.7, box: [x, y, x + w, y + h] });
    }
  }
  return { gts, dts };
}

describe('evaluateMap against the COCOeval reference (test/reference/map.py)', () => {
  const A = synth(11, 40, 3, 0);
  const B = synth(12345, 60, 5, 0.08);
  const C = synth(777, 5, 1, 0.05, 30, 500);

  it('generates the same sets as the reference', () => {
    assert.deepEqual([A.gts.length, A.dts.length], [155, 207]);
    assert.deepEqual([B.gts.length, B.gts.filter((g) => g.iscrowd).length, B.dts.length], [207, 18, 300]);
    assert.deepEqual([C.gts.length, C.gts.filter((g) => g.iscrowd).length, C.dts.length], [80, 4, 1374]);
  });

  it('set A: 40 images, 3 classes, jitter, duplicates, a class with only FPs', () => {
    assertMatches(evaluateMap(A.gts, A.dts), {
      map: 0.24020688120161238, map50: 0.6634281555740767, map75: 0.08718629845425653,
      perClass: [[0, 0.2529396119399492, 0.6546196974345744, 0.10476919180401598], [1, 0.2313572179057687, 0.6432002316776327, 0.08069661415613658], [2, 0.23632381375911923, 0.6924645376100232, 0.0760930894026171], [3, -1.0, -1.0, -1.0]],
    });
  });

  it('set B: 60 images, 5 classes, 18 crowd boxes', () => {
    assertMatches(evaluateMap(B.gts, B.dts), {
      map: 0.23288296023706945, map50: 0.6103466640293658, map75: 0.09639467086912142,
      perClass: [[0, 0.2284852847063901, 0.6016908833740516, 0.09653465346534654], [1, 0.2507714195430413, 0.5913243005291429, 0.1023102310231023], [2, 0.22849659227135705, 0.6063032969878704, 0.0904320015575878], [3, 0.2454270990073955, 0.6275917790529048, 0.11500505254145324], [4, 0.21123440565716362, 0.624823060202859, 0.07769141575811717], [5, -1.0, -1.0, -1.0]],
    });
  });

  it('set B with the COCO small and large area ranges', () => {
    assertMatches(evaluateMap(B.gts, B.dts, { areaRange: [0, 32 ** 2] }), {
      map: 0.2980753289614676, map50: 0.6960696069606961, map75: 0.20169731258840168,
      perClass: [[0, 0.5841584158415841, 1.0, 0.49999999999999994], [1, 0.2039603960396039, 0.3399339933993399, 0.3399339933993399], [2, 0.22604260426042602, 0.5859585958595858, 0.034653465346534656], [3, 0.32965582272512967, 0.8316831683168316, 0.10419613389910419], [4, 0.14655940594059408, 0.7227722772277227, 0.0297029702970297], [5, -1.0, -1.0, -1.0]],
    });
    assertMatches(evaluateMap(B.gts, B.dts, { areaRange: [96 ** 2, 1e10] }), {
      map: 0.296687933111346, map50: 0.6822995641516317, map75: 0.18134370579915132,
      perClass: [[0, 0.14648750589344647, 0.5, 0.024045261669024043], [1, 0.26950495049504947, 0.6316831683168317, 0.0], [2, 0.3930693069306931, 0.699009900990099, 0.44455445544554456], [3, 0.30751921636895424, 0.5808047514512279, 0.2638613861386139], [4, 0.36685868586858683, 1.0, 0.17425742574257425], [5, -1.0, -1.0, -1.0]],
    });
  });

  it('set C: over 100 detections per image and class (the cap bites), and maxDets 10', () => {
    assertMatches(evaluateMap(C.gts, C.dts), {
      map: 0.12216549780309499, map50: 0.3760873527158155, map75: 0.031107125394630872,
      perClass: [[0, 0.12216549780309499, 0.3760873527158155, 0.031107125394630872], [1, -1.0, -1.0, -1.0]],
    });
    assertMatches(evaluateMap(C.gts, C.dts, { maxDets: 10 }), {
      map: 0.09420875280805392, map50: 0.2820500873616773, map75: 0.023762376237623763,
      perClass: [[0, 0.09420875280805392, 0.2820500873616773, 0.023762376237623763], [1, -1.0, -1.0, -1.0]],
    });
  });

  it('does not depend on the order of its inputs (no score ties in set B)', () => {
    const rev = evaluateMap([...B.gts].reverse(), [...B.dts].reverse());
    const fwd = evaluateMap(B.gts, B.dts);
    close(rev.map, fwd.map, 1e-15, 'map');
    close(rev.map50, fwd.map50, 1e-15, 'map50');
  });
});
