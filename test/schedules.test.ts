/**
 * Learning-rate schedules (SPEC §10, §14). Expected sequences are the outputs of
 * test/reference/schedules.py, which re-states each reference step by step in plain Python:
 * katsura-jp/pytorch-cosine-annealing-with-warmup under `scheduler.step()`, PyTorch
 * `CosineAnnealingWarmRestarts`, Darknet `get_current_rate` with its float32 arithmetic
 * (numpy float32), and YOLOv5's `one_cycle` / linear lambdas. Index i of each list is the lr
 * after i steps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CosineAnnealingWarmRestarts,
  CosineAnnealingWarmupRestarts,
  DarknetSchedule,
  OneCycleSchedule,
  createSchedule,
  linearLambda,
  lrAt,
  oneCycle,
  scheduleFromState,
  type LrSchedule,
  type ScheduleOptions,
} from '../src/train/schedules.ts';
import { ConfigError } from '../src/core/errors.ts';

/** The lr after 0..n steps, by stepping. */
function run(s: LrSchedule, n: number): number[] {
  const out = [s.lr];
  for (let i = 0; i < n; i++) {
    s.step();
    out.push(s.lr);
  }
  return out;
}

function close(actual: number[], expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    assert.ok(d <= tol, `${what} at step ${i}: ${actual[i]} vs ${expected[i]} (|Δ| ${d} > ${tol})`);
  }
}

/** Both by stepping and through lrAt. */
function checkSchedule(make: () => LrSchedule, expected: number[], tol: number, what: string): void {
  close(run(make(), expected.length - 1), expected, tol, `${what} (step)`);
  const s = make();
  close(expected.map((_, t) => s.lrAt(t)), expected, tol, `${what} (lrAt)`);
  assert.equal(s.steps, 0, 'lrAt does not move the schedule');
}

const TOL = 1e-12; // the references' own float64 arithmetic; libm cos/pow may differ by an ulp

describe('CosineAnnealingWarmupRestarts (katsura-jp)', () => {
  const spec = () => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, maxLr: 0.1, minLr: 0.001, gamma: 0.7 });

  it('SPEC worked numbers: 0.0975773, 0.0905463, 0.0795954, …, 0.07 at step 10, 0.049 at step 20', () => {
    const lrs = run(spec(), 20);
    assert.ok(Math.abs(lrs[1]! - 0.0975773) < 5e-8);
    assert.ok(Math.abs(lrs[2]! - 0.0905463) < 5e-8);
    assert.ok(Math.abs(lrs[3]! - 0.0795954) < 5e-8);
    assert.ok(Math.abs(lrs[10]! - 0.07) < 1e-9, `step 10: ${lrs[10]}`);
    assert.ok(Math.abs(lrs[20]! - 0.049) < 1e-9, `step 20: ${lrs[20]}`);
  });

  it('matches the reference step by step (gamma 0.7, no warm-up), lr before the first step = minLr', () => {
    checkSchedule(spec, [
      0.001, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505,
      0.03520365877844011, 0.021404630011522586, 0.010453658778440109, 0.0034227024433899004, 0.06999999999999999,
      0.06831144981218279, 0.06341108630593567, 0.055778591204090316, 0.046161086305935684, 0.0355,
      0.024838913694064314, 0.01522140879590968, 0.007588913694064316, 0.0026885501878172033, 0.048999999999999995,
      0.047825356391083686, 0.04441640786499874, 0.03910684605501935, 0.032416407864998734, 0.024999999999999998,
    ], TOL, 'spec');
  });

  it('warm-up: linear from minLr to maxLr, restarting with the warm-up (warm-up 3, gamma 0.5)', () => {
    checkSchedule(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, maxLr: 0.1, minLr: 0.001, warmupSteps: 3, gamma: 0.5 }), [
      0.001, 0.034, 0.067, 0.1, 0.09509795896116975, 0.08136274519200731, 0.061514786230837566, 0.03948521376916244,
      0.019637254807992693, 0.005902041038830258, 0.001, 0.017333333333333336, 0.03366666666666667, 0.05,
      0.04757373726360927, 0.040775500145538976, 0.030951762881929704, 0.0200482371180703, 0.010224499854461031,
      0.0034262627363907338, 0.001, 0.009000000000000001, 0.017, 0.025, 0.02381162641482903, 0.020481877622304804,
    ], TOL, 'warm-up');
  });

  it('cycleMult 2: cycles of 5, 10, 20 steps, maxLr × 0.9 per restart', () => {
    checkSchedule(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 5, cycleMult: 2, maxLr: 0.1, minLr: 0.001, gamma: 0.9 }), [
      0.001, 0.0905463412215599, 0.0657963412215599, 0.03520365877844011, 0.010453658778440109, 0.09000000000000001,
      0.08782201497513435, 0.08150125624968517, 0.07165644372701506, 0.05925125624968517, 0.045500000000000006,
      0.03174874375031485, 0.019343556272984952, 0.009498743750314845, 0.003177985024865668, 0.08100000000000002,
      0.08050753362380553, 0.07904226065180617, 0.07664026096753472, 0.07336067977499791, 0.0692842712474619,
      0.06451141009169895, 0.059159619989581885, 0.05336067977499791, 0.04725737860160925, 0.04100000000000001,
      0.03474262139839078, 0.028639320225002114, 0.022840380010418136, 0.017488589908301082, 0.012715728752538104,
      0.008639320225002108, 0.00535973903246529, 0.002957739348193859, 0.0014924663761944938, 0.0729,
      0.07278917814770595, 0.07245739584439521, 0.07190669863829648, 0.07114048176081078, 0.07016346919378076,
    ], TOL, 'mult 2');
  });

  const mult15 = () =>
    new CosineAnnealingWarmupRestarts({ firstCycleSteps: 7, cycleMult: 1.5, maxLr: 0.05, minLr: 0.0005, warmupSteps: 2, gamma: 0.8 });

  it('cycleMult 1.5 with warm-up 2: lengths trunc((L − 2)·1.5) + 2 = 7, 9, 12, 17', () => {
    checkSchedule(mult15, [
      0.0005, 0.02525, 0.05, 0.04527317061077995, 0.03289817061077995, 0.017601829389220055, 0.005226829389220054,
      0.0005, 0.020250000000000004, 0.04000000000000001, 0.038044135141072785, 0.032563923586709995,
      0.024644788445637212, 0.015855211554362793, 0.007936076413290015, 0.0024558648589272244, 0.0005,
      0.016250000000000004, 0.03200000000000001, 0.031229140131648677, 0.02899201766140543, 0.02550761772360646,
      0.02111701766140543, 0.016250000000000004, 0.011382982338594583, 0.0069923822763935505, 0.00350798233859458,
      0.001270859868351332, 0.0005, 0.013050000000000004, 0.025600000000000008, 0.02532575238920927,
      0.024514995493414647, 0.023203163279405598, 0.021447589109803676, 0.019325000000000005, 0.016928163279405595,
      0.014361832214009057, 0.011738167785990955, 0.009171836720594413, 0.006775000000000005, 0.004652410890196334,
      0.0028968367205944117, 0.0015850045065853582, 0.0007742476107907388, 0.0005, 0.010490000000000003,
      0.020480000000000005, 0.020378316204390522, 0.020075334806408836, 0.019577223633591646, 0.018894122792983505,
      0.018039938247799044, 0.017032058732113404, 0.015891001766381425, 0.01463999597988885, 0.013304508242845887,
      0.01191172523435012, 0.010490000000000005, 0.009068274765649885, 0.0076754917571541185,
    ], TOL, 'mult 1.5');
    // the cycle index counts restarts at steps 7, 16, 28, 45
    const s = mult15();
    const cycles: number[] = [];
    for (let t = 1; t <= 46; t++) {
      const before = s.cycle;
      s.step();
      if (s.cycle > before) cycles.push(t);
    }
    assert.deepEqual(cycles, [7, 16, 28, 45]);
  });

  it('far positions by lrAt agree with 12345 reference steps (mult 1.5; mult 1.01 where truncation stops the growth)', () => {
    const s = mult15();
    assert.ok(Math.abs(s.lrAt(1000) - 0.001420672725026987) <= TOL);
    assert.ok(Math.abs(s.lrAt(12345) - 0.0005030106569805387) <= TOL);
    const slow = new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, cycleMult: 1.01, maxLr: 0.1, minLr: 0.001, gamma: 0.99 });
    assert.ok(Math.abs(slow.lrAt(4321) - 0.0012940045253796988) <= TOL);
    assert.ok(Math.abs(slow.lrAt(5000) - 0.0006570483042414604) <= TOL);
  });

  it('cycleMult 0.5 with warm-up 2: cycles shrink to warm-up-only cycles of 2 steps', () => {
    checkSchedule(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, cycleMult: 0.5, warmupSteps: 2 }), [
      0.001, 0.0505, 0.1, 0.0962320368593087, 0.0855017856687341, 0.06944282990207196, 0.0505, 0.03155717009792806,
      0.0154982143312659, 0.004767963140691307, 0.001, 0.0505, 0.1, 0.0855017856687341, 0.0505, 0.0154982143312659,
      0.001, 0.0505, 0.1, 0.0505, 0.001, 0.0505, 0.1, 0.001, 0.0505, 0.001, 0.0505, 0.001, 0.0505, 0.001, 0.0505,
    ], TOL, 'mult 0.5');
  });

  it('stepping (the reference bookkeeping) and lrAt (the cycle walk) agree bit for bit; lr stays between the bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 24 }),
        fc.oneof(fc.constantFrom(1, 1.5, 2, 0.5, 0.9), fc.double({ min: 0.3, max: 3, noNaN: true })),
        fc.double({ min: 0.3, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (first, w, mult, gamma, n) => {
          const warmupSteps = w % first;
          fc.pre(mult >= 1 || warmupSteps > 0);
          const s = new CosineAnnealingWarmupRestarts({ firstCycleSteps: first, cycleMult: mult, maxLr: 0.1, minLr: 0.001, warmupSteps, gamma });
          for (let t = 1; t <= n; t++) {
            s.step();
            assert.equal(s.lr, s.lrAt(t), `t ${t}`);
            const peak = 0.1 * gamma ** s.cycle;
            assert.ok(s.lr >= Math.min(0.001, peak) - 1e-15 && s.lr <= Math.max(0.001, peak) + 1e-15);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('CosineAnnealingWarmRestarts (PyTorch)', () => {
  it('T_0 5, T_mult 1: lr is baseLr before the first step and at every restart', () => {
    checkSchedule(() => new CosineAnnealingWarmRestarts({ baseLr: 0.1, t0: 5, etaMin: 0.001 }), [
      0.1, 0.0905463412215599, 0.0657963412215599, 0.03520365877844011, 0.010453658778440109, 0.1, 0.0905463412215599,
      0.0657963412215599, 0.03520365877844011, 0.010453658778440109, 0.1, 0.0905463412215599, 0.0657963412215599,
      0.03520365877844011, 0.010453658778440109, 0.1,
    ], TOL, 'T0 5');
  });

  it('T_0 3, T_mult 2: cycles of 3, 6, 12, 24', () => {
    checkSchedule(() => new CosineAnnealingWarmRestarts({ baseLr: 0.05, t0: 3, tMult: 2, etaMin: 0.0001 }), [
      0.05, 0.037525, 0.012575000000000005, 0.05, 0.04665733382442175, 0.037525, 0.02505, 0.012575000000000005,
      0.0034426661755782542, 0.05, 0.049149849365912254, 0.04665733382442175, 0.04269231419060436, 0.037525,
      0.031507535175307896, 0.02505, 0.01859246482469211, 0.012575000000000005, 0.0074076858093956414,
      0.0034426661755782542, 0.0009501506340877484, 0.05, 0.04978654929127657, 0.049149849365912254,
      0.048100794336156605, 0.04665733382442175, 0.04484416584026632, 0.04269231419060436, 0.04023859765376758,
      0.037525, 0.03459795163750899,
    ], TOL, 'T0 3 Tmult 2');
    const s = new CosineAnnealingWarmRestarts({ baseLr: 0.05, t0: 3, tMult: 2, etaMin: 0.0001 });
    // step 93 = 3·(2⁵ − 1): a restart exactly at a cycle boundary, where a float log can miscount
    assert.equal(s.lrAt(93), 0.05);
    assert.ok(Math.abs(s.lrAt(100000) - 0.0499632313250163) <= TOL);
  });
});

describe('DarknetSchedule (get_current_rate)', () => {
  // float32: Darknet's own rounding, so equality is exact
  const cases: { name: string; options: ConstructorParameters<typeof DarknetSchedule>[0]; f32: number[]; f64: number[] }[] = [
    {
      name: 'constant, burn-in 10 (power 4)',
      options: { lr: 0.001, burnIn: 10 },
      f32: [0.0, 1.000000082740371e-7, 1.6000001323845936e-6, 8.10000165074598e-6, 2.5600002118153498e-5, 6.25000029685907e-5,
        0.0001296000264119357, 0.00024009999469853938, 0.00040960003389045596, 0.0006560999900102615, 0.0010000000474974513,
        0.0010000000474974513, 0.0010000000474974513, 0.0010000000474974513, 0.0010000000474974513, 0.0010000000474974513],
      f64: [0.0, 1.0000000000000002e-7, 1.6000000000000004e-6, 8.1e-6, 2.5600000000000006e-5, 6.25e-5, 0.0001296,
        0.00024009999999999995, 0.0004096000000000001, 0.0006561000000000001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001],
    },
    {
      name: 'steps [8, 12] scales [0.1, 0.1], burn-in 5',
      options: { lr: 0.001, policy: 'steps', burnIn: 5, steps: [8, 12], scales: [0.1, 0.1] },
      f32: [0.0, 1.6000001323845936e-6, 2.5600002118153498e-5, 0.0001296000264119357, 0.00040960003389045596,
        0.0010000000474974513, 0.0010000000474974513, 0.0010000000474974513, 0.00010000000474974513, 0.00010000000474974513,
        0.00010000000474974513, 0.00010000000474974513, 1.0000000656873453e-5, 1.0000000656873453e-5, 1.0000000656873453e-5,
        1.0000000656873453e-5],
      f64: [0.0, 1.6000000000000004e-6, 2.5600000000000006e-5, 0.0001296, 0.0004096000000000001, 0.001, 0.001, 0.001,
        0.0001, 0.0001, 0.0001, 0.0001, 1e-5, 1e-5, 1e-5, 1e-5],
    },
    {
      name: 'steps with a repeated step and a scale > 1, burn-in 4 power 2',
      options: { lr: 0.0013, policy: 'steps', burnIn: 4, power: 2, steps: [6, 6, 9], scales: [0.5, 2, 0.1] },
      f32: [0.0, 8.125000022118911e-5, 0.00032500000088475645, 0.0007312499801628292, 0.0013000000035390258,
        0.0013000000035390258, 0.0013000000035390258, 0.0013000000035390258, 0.0013000000035390258, 0.00013000000035390258,
        0.00013000000035390258, 0.00013000000035390258, 0.00013000000035390258, 0.00013000000035390258,
        0.00013000000035390258, 0.00013000000035390258],
      f64: [0.0, 8.125e-5, 0.000325, 0.0007312499999999999, 0.0013, 0.0013, 0.0013, 0.0013, 0.0013, 0.00013, 0.00013,
        0.00013, 0.00013, 0.00013, 0.00013, 0.00013],
    },
    {
      name: 'sgdr cycle 4 mult 2, burn-in 3: lrMin at a cycle’s last batch, restart one batch later',
      options: { lr: 0.01, policy: 'sgdr', burnIn: 3, lrMin: 0.00001, sgdrCycle: 4, sgdrMult: 2 },
      f32: [0.0, 0.00012345680443104357, 0.001975308870896697, 0.0014730016700923443, 9.999999747378752e-6,
        0.009619778022170067, 0.008536998182535172, 0.0069165038876235485, 0.0050050001591444016, 0.0030934964306652546,
        0.0014730016700923443, 0.0003902217431459576, 9.999999747378752e-6, 0.009904022328555584, 0.009619778022170067,
        0.00915819127112627, 0.008536998182535172, 0.007780073676258326, 0.0069165038876235485, 0.005979476496577263,
        0.0050050001591444016, 0.00403052382171154, 0.0030934964306652546, 0.0022299266420304775, 0.0014730016700923443,
        0.0008518092799931765, 0.0003902217431459576, 0.00010597753134788945, 9.999999747378752e-6, 0.009975947439670563],
      f64: [0.0, 0.00012345679012345677, 0.0019753086419753083, 0.0014730016374825525, 1e-5, 0.009619778265751616,
        0.008536998375196591, 0.00691650375087591, 0.005005000008965508, 0.0030934962656901884, 0.0014730016374825525,
        0.0003902217411102877, 1e-5, 0.009904022475832771, 0.009619778265751616, 0.009158190715319078, 0.008536998375196591,
        0.007780073318592005, 0.00691650375087591, 0.005979476166164645, 0.005005000008965508, 0.004030523851421833,
        0.0030934962656901884, 0.002229926696317089, 0.0014730016374825525, 0.0008518092946428617, 0.0003902217411102877,
        0.00010597752766539631, 1e-5, 0.009975947709782548],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: float32 exactly as Darknet, float64 to 1e-15`, () => {
      checkSchedule(() => new DarknetSchedule(c.options), c.f32, 0, `${c.name} f32`);
      checkSchedule(() => new DarknetSchedule({ ...c.options, float32: false }), c.f64, 1e-15, `${c.name} f64`);
    });
  }

  it('defaults: policy constant, no burn-in, sgdr lrMin 0.00001 and sgdrMult 2', () => {
    assert.equal(new DarknetSchedule({ lr: 0.5 }).lr, 0.5);
    const d = new DarknetSchedule({ lr: 0.01, policy: 'sgdr', sgdrCycle: 4 });
    assert.equal(d.options.policy === 'sgdr' && d.options.lrMin, 0.00001);
    assert.equal(d.lrAt(4), Math.fround(0.00001));
    assert.equal(d.lrAt(5 + 8 - 1), Math.fround(0.00001)); // second cycle 8 batches: 5..12
  });
});

describe('OneCycleSchedule (YOLOv5 one_cycle / linear)', () => {
  it('cosine: lr0 · one_cycle(1, lrf, epochs)', () => {
    checkSchedule(() => new OneCycleSchedule({ lr0: 0.01, y2: 0.1, steps: 10 }), [
      0.01, 0.009779754323328192, 0.009140576474687263, 0.008145033635316129, 0.006890576474687263, 0.0055000000000000005,
      0.004109423525312737, 0.002854966364683872, 0.0018594235253127367, 0.0012202456766718084, 0.0009999999999999998,
    ], TOL, 'one_cycle');
  });

  it('linear: lr0 · ((1 − x/epochs)·(1 − lrf) + lrf)', () => {
    checkSchedule(() => new OneCycleSchedule({ lr0: 0.01, y2: 0.1, steps: 10, shape: 'linear' }), [
      0.01, 0.0091, 0.0082, 0.0073, 0.0064, 0.0055000000000000005, 0.004600000000000001, 0.003700000000000001, 0.0028,
      0.0019, 0.001,
    ], 0, 'linear');
  });

  it('one_cycle ramping up (y1 0.2 → y2 1 over 7 steps)', () => {
    checkSchedule(() => new OneCycleSchedule({ lr0: 0.5, y1: 0.2, y2: 1, steps: 7 }), [
      0.1, 0.11980622641951617, 0.1753020396282533, 0.25549581320873715, 0.3445041867912629, 0.4246979603717467,
      0.4801937735804839, 0.5,
    ], TOL, 'ramp');
    assert.equal(oneCycle(1, 0.1, 10)(10), 0.09999999999999998);
    assert.equal(linearLambda(1, 0.1, 10)(3), 0.73);
  });
});

describe('checkpoints: state() / load()', () => {
  const all: ScheduleOptions[] = [
    { kind: 'cosine-warmup-restarts', firstCycleSteps: 7, cycleMult: 1.5, maxLr: 0.05, minLr: 0.0005, warmupSteps: 2, gamma: 0.8 },
    { kind: 'cosine-warmup-restarts', firstCycleSteps: 10, maxLr: 0.1, minLr: 0.001, gamma: 0.7 },
    { kind: 'cosine-warm-restarts', baseLr: 0.05, t0: 3, tMult: 2, etaMin: 0.0001 },
    { kind: 'darknet', lr: 0.01, policy: 'sgdr', burnIn: 3, sgdrCycle: 4 },
    { kind: 'darknet', lr: 0.001, policy: 'steps', burnIn: 25, steps: [30, 34], scales: [0.1, 0.1] },
    { kind: 'one-cycle', lr0: 0.01, y2: 0.1, steps: 40 },
  ];
  for (const options of all) {
    it(`${options.kind}: 37 steps = 20 steps, save (as JSON), load into a fresh instance, 17 steps`, () => {
      const straight = createSchedule(options);
      const lrs = run(straight, 37);
      const first = createSchedule(options);
      run(first, 20);
      const saved = JSON.parse(JSON.stringify(first.state()));
      const resumed = createSchedule(options);
      resumed.load(saved);
      assert.equal(resumed.steps, 20);
      assert.equal(resumed.lr, lrs[20]);
      const tail = run(resumed, 17);
      assert.deepEqual(tail, lrs.slice(20));
      assert.equal(resumed.lr, straight.lr);
      const rebuilt = scheduleFromState(saved);
      assert.equal(rebuilt.lr, lrs[20]);
      assert.deepEqual(run(rebuilt, 17), lrs.slice(20));
      assert.deepEqual(resumed.state(), straight.state());
    });
  }

  it('load refuses another kind, other options or a bad position, saying what to do', () => {
    const a = new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10 });
    const b = new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, gamma: 0.5 });
    run(b, 3);
    assert.throws(() => a.load(b.state()), (e: Error) => e instanceof ConfigError && /gamma 0\.5.*gamma 1.*scheduleFromState/.test(e.message));
    const torch = new CosineAnnealingWarmRestarts({ baseLr: 0.1, t0: 10 });
    assert.throws(() => a.load(torch.state()), /saved by a 'cosine-warm-restarts' schedule.*'cosine-warmup-restarts'/);
    assert.throws(() => a.load({ ...a.state(), step: -1 }), /step must be ≥ 0/);
    assert.throws(() => a.load({ ...a.state(), step: 2.5 }), /step must be a whole number/);
    assert.equal(a.steps, 0, 'a refused load leaves the schedule where it was');
  });
});

describe('option validation', () => {
  const rejects = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: Error) => e instanceof ConfigError && pattern.test(e.message), String(pattern));

  it('CosineAnnealingWarmupRestarts', () => {
    rejects(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, maxLr: 0.01, minLr: 0.1 }), /minLr \(0\.1\) must be ≤ maxLr \(0\.01\)/);
    rejects(() => new CosineAnnealingWarmupRestarts({} as never), /firstCycleSteps is required/);
    rejects(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10.5 }), /firstCycleSteps must be a whole number/);
    rejects(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, warmupSteps: 10 }), /warmupSteps \(10\) must be < firstCycleSteps \(10\)/);
    rejects(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, cycleMult: 0.5 }), /cycleMult < 1 needs warmupSteps ≥ 1/);
    rejects(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, gamma: 0 }), /gamma must be > 0/);
    rejects(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, maxLr: -1, minLr: -2 }), /maxLr must be ≥ 0/);
    rejects(() => new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, max_lr: 0.1 } as never), /Unrecognized key.*max_lr/);
  });

  it('CosineAnnealingWarmRestarts', () => {
    rejects(() => new CosineAnnealingWarmRestarts({ baseLr: 0.1, t0: 5, tMult: 1.5 }), /tMult must be a whole number/);
    rejects(() => new CosineAnnealingWarmRestarts({ baseLr: 0.1, t0: 0 }), /t0 must be ≥ 1/);
    rejects(() => new CosineAnnealingWarmRestarts({ baseLr: 0.1, t0: 5, etaMin: 0.2 }), /etaMin must be ≤ baseLr/);
  });

  it('DarknetSchedule', () => {
    rejects(() => new DarknetSchedule({ lr: 0.001, policy: 'steps' }), /policy 'steps' needs steps and scales/);
    rejects(() => new DarknetSchedule({ lr: 0.001, policy: 'steps', steps: [10, 20], scales: [0.1] }), /one factor per step: 2 steps, 1 scales/);
    rejects(() => new DarknetSchedule({ lr: 0.001, policy: 'steps', steps: [20, 10], scales: [0.1, 0.1] }), /ascending order/);
    rejects(() => new DarknetSchedule({ lr: 0.001, policy: 'sgdr' }), /needs sgdrCycle/);
    rejects(() => new DarknetSchedule({ lr: 0.001, sgdrCycle: 100 }), /sgdrCycle only applies to policy 'sgdr'/);
    rejects(() => new DarknetSchedule({ lr: 0.001, policy: 'poly' as never }), /policy must be 'constant', 'steps' or 'sgdr'/);
    rejects(() => new DarknetSchedule({ lr: 0.001, policy: 'sgdr', sgdrCycle: 10, sgdrMult: 1.5 }), /sgdrMult must be a whole number/);
  });

  it('OneCycleSchedule, createSchedule, lrAt', () => {
    rejects(() => new OneCycleSchedule({ lr0: 0.01, steps: 10 } as never), /y2 is required/);
    rejects(() => new OneCycleSchedule({ lr0: 0.01, y2: 0.1, steps: 10, shape: 'step' as never }), /shape must be 'cosine'/);
    rejects(() => createSchedule({ kind: 'cosine' } as never), /kind must be 'cosine-warmup-restarts'/);
    assert.throws(() => new OneCycleSchedule({ lr0: 0.01, y2: 0.1, steps: 10 }).lrAt(-1), RangeError);
    assert.ok(Math.abs(lrAt({ kind: 'cosine-warmup-restarts', firstCycleSteps: 10, gamma: 0.7 }, 20) - 0.049) < 1e-12);
  });
});
