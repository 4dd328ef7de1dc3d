"""Worked numbers of test/schedules.test.ts (SPEC §10). Documentation only; CI never runs it.

Plain Python (torch is not installed): each schedule below re-states, step by step, how the
reference computes its learning rate, written from the references' behaviour:

- katsura-jp/pytorch-cosine-annealing-with-warmup `CosineAnnealingWarmupRestarts`, called
  the way training loops call it (`scheduler.step()` with no argument). Construction runs
  torch's initial step (step_in_cycle -1 -> 0) and then `init_lr()` overwrites the lr with
  min_lr, so the lr before the first step is min_lr even without warm-up.
  Each step: step_in_cycle += 1; when it reaches the cycle length the cycle index grows by
  one, step_in_cycle drops by the old length and the length becomes
  int((length - warmup) * cycle_mult) + warmup (truncated every restart, so the
  truncation compounds; the warm-up is not multiplied). max_lr = base_max_lr * gamma**cycle.
  The repo's other path, `step(epoch)`, finds the cycle with
  n = int(log(epoch / first * (mult - 1) + 1, mult)) and length first * mult**n: it assumes
  untruncated geometric lengths without warm-up, so it disagrees with the sequential path
  for a non-integer mult or warmup > 0 (shown at the bottom). We follow the sequential path.
- torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(T_0, T_mult, eta_min), sequential.
- Darknet (AlexeyAB) get_current_rate: burn-in, policy constant / steps / sgdr, with its C
  float arithmetic (float32 values, float32 division in burn-in, double pow/cos, the
  constant 3.14159265, and `while (start + size < batch)` with a strict <).
- YOLOv5 one_cycle(y1, y2, steps) and the linear lambda, times lr0 (LambdaLR).
"""
import math

import numpy as np

f32 = np.float32


class Katsura:
    def __init__(self, first, mult=1.0, max_lr=0.1, min_lr=0.001, warmup=0, gamma=1.0):
        assert warmup < first
        self.first, self.mult, self.base_max, self.min_lr = first, mult, max_lr, min_lr
        self.warmup, self.gamma = warmup, gamma
        self.cur, self.cycle, self.s = first, 0, -1
        self.max_lr = max_lr
        self._advance()        # torch's initial step inside _LRScheduler.__init__
        self.lr = min_lr       # init_lr(): the optimizer starts at min_lr

    def _advance(self):
        self.s += 1
        if self.s >= self.cur:
            self.cycle += 1
            self.s -= self.cur
            self.cur = int((self.cur - self.warmup) * self.mult) + self.warmup
        self.max_lr = self.base_max * (self.gamma ** self.cycle)
        b = self.min_lr
        if self.s < self.warmup:
            self.lr = (self.max_lr - b) * self.s / self.warmup + b
        else:
            self.lr = b + (self.max_lr - b) * (
                1 + math.cos(math.pi * (self.s - self.warmup) / (self.cur - self.warmup))) / 2

    def step(self):
        self._advance()

    def epoch_path_lr(self, epoch):
        """The repo's step(epoch) closed form, fresh state: for comparison only."""
        first, m = self.first, self.mult
        cycle, cur = 0, first
        if epoch >= first:
            if m == 1.0:
                s, cycle = epoch % first, epoch // first
            else:
                n = int(math.log(epoch / first * (m - 1) + 1, m))
                cycle = n
                s = epoch - int(first * (m ** n - 1) / (m - 1))
                cur = first * m ** n
        else:
            s = epoch
        mx = self.base_max * self.gamma ** cycle
        b = self.min_lr
        if s < self.warmup:
            return (mx - b) * s / self.warmup + b
        return b + (mx - b) * (1 + math.cos(math.pi * (s - self.warmup) / (cur - self.warmup))) / 2


def katsura_seq(n, **kw):
    k = Katsura(**kw)
    out = [k.lr]
    for _ in range(n):
        k.step()
        out.append(k.lr)
    return out


def torch_cawr_seq(n, base, t0, tmult=1, eta_min=0.0):
    tcur, ti = 0, t0
    lr = lambda: eta_min + (base - eta_min) * (1 + math.cos(math.pi * tcur / ti)) / 2
    out = [lr()]
    for _ in range(n):
        tcur += 1
        if tcur >= ti:
            tcur -= ti
            ti *= tmult
        out.append(lr())
    return out


def darknet_rate(b, lr, policy='constant', burn_in=0, power=4.0, steps=(), scales=(),
                 lr_min=0.00001, sgdr_cycle=0, sgdr_mult=2):
    lr, power, lr_min = f32(lr), f32(power), f32(lr_min)
    if b < burn_in:
        ratio = f32(f32(b) / f32(burn_in))                       # float / int -> float
        return float(f32(float(lr) * math.pow(float(ratio), float(power))))
    if policy == 'constant':
        return float(lr)
    if policy == 'steps':
        rate = lr
        for st, sc in zip(steps, scales):
            if st > b:
                return float(rate)
            rate = f32(rate * f32(sc))
        return float(rate)
    if policy == 'sgdr':
        start, size = 0, sgdr_cycle
        while start + size < b:
            start += size
            size *= sgdr_mult
        diff = f32(lr - lr_min)
        r = float(lr_min) + 0.5 * float(diff) * (1. + math.cos(float(f32(b - start)) * 3.14159265 / size))
        return float(f32(r))
    raise ValueError(policy)


def darknet_rate64(b, lr, policy='constant', burn_in=0, power=4.0, steps=(), scales=(),
                   lr_min=0.00001, sgdr_cycle=0, sgdr_mult=2):
    """The same arithmetic in float64 throughout (our float32: false)."""
    if b < burn_in:
        return lr * math.pow(b / burn_in, power)
    if policy == 'constant':
        return lr
    if policy == 'steps':
        rate = lr
        for st, sc in zip(steps, scales):
            if st > b:
                return rate
            rate *= sc
        return rate
    start, size = 0, sgdr_cycle
    while start + size < b:
        start += size
        size *= sgdr_mult
    return lr_min + 0.5 * (lr - lr_min) * (1. + math.cos((b - start) * 3.14159265 / size))


def one_cycle(y1=0.0, y2=1.0, steps=100):
    return lambda x: ((1 - math.cos(x * math.pi / steps)) / 2) * (y2 - y1) + y1


def show(name, xs):
    print(f'// {name}')
    print('[' + ', '.join(repr(float(x)) for x in xs) + ']')


if __name__ == '__main__':
    # SPEC worked example: 0.0975773, 0.0905463, 0.0795954, ..., 0.07 at step 10, 0.049 at 20
    show('katsura spec', katsura_seq(25, first=10, max_lr=0.1, min_lr=0.001, gamma=0.7))
    show('katsura warmup', katsura_seq(25, first=10, max_lr=0.1, min_lr=0.001, warmup=3, gamma=0.5))
    show('katsura mult2', katsura_seq(40, first=5, mult=2.0, max_lr=0.1, min_lr=0.001, gamma=0.9))
    show('katsura mult1.5 warmup2', katsura_seq(60, first=7, mult=1.5, max_lr=0.05, min_lr=0.0005, warmup=2, gamma=0.8))
    show('katsura mult0.5 warmup2', katsura_seq(30, first=10, mult=0.5, max_lr=0.1, min_lr=0.001, warmup=2, gamma=1.0))
    far = katsura_seq(12345, first=7, mult=1.5, max_lr=0.05, min_lr=0.0005, warmup=2, gamma=0.8)
    print('// katsura mult1.5 warmup2 at 1000, 12345:', repr(far[1000]), repr(far[12345]))
    far = katsura_seq(5000, first=10, mult=1.01, max_lr=0.1, min_lr=0.001, warmup=0, gamma=0.99)
    print('// katsura mult1.01 (length stops growing) at 4321, 5000:', repr(far[4321]), repr(far[5000]))

    show('torch cawr T0=5', torch_cawr_seq(15, 0.1, 5, 1, 0.001))
    show('torch cawr T0=3 Tmult=2', torch_cawr_seq(30, 0.05, 3, 2, 0.0001))
    far = torch_cawr_seq(100000, 0.05, 3, 2, 0.0001)
    print('// torch cawr T0=3 Tmult=2 at 93, 100000:', repr(far[93]), repr(far[100000]))

    cfgs = {
        'darknet constant burnIn 10': dict(lr=0.001, burn_in=10),
        'darknet steps burnIn 5': dict(lr=0.001, policy='steps', burn_in=5, steps=(8, 12), scales=(0.1, 0.1)),
        'darknet sgdr': dict(lr=0.01, policy='sgdr', burn_in=3, lr_min=0.00001, sgdr_cycle=4, sgdr_mult=2),
        'darknet steps power 2': dict(lr=0.0013, policy='steps', burn_in=4, power=2, steps=(6, 6, 9), scales=(0.5, 2, 0.1)),
    }
    for name, kw in cfgs.items():
        n = 30 if kw.get('policy') == 'sgdr' else 16
        show(name + ' float32', [darknet_rate(b, **kw) for b in range(n)])
        show(name + ' float64', [darknet_rate64(b, **kw) for b in range(n)])

    show('yolov5 one_cycle lr0 0.01 lrf 0.1 epochs 10', [0.01 * one_cycle(1, 0.1, 10)(x) for x in range(11)])
    show('yolov5 linear lr0 0.01 lrf 0.1 epochs 10', [0.01 * ((1 - x / 10) * (1.0 - 0.1) + 0.1) for x in range(11)])
    show('one_cycle(0.2, 1, 7) lr0 0.5', [0.5 * one_cycle(0.2, 1.0, 7)(x) for x in range(8)])

    k = Katsura(first=7, mult=1.5, max_lr=0.05, min_lr=0.0005, warmup=2, gamma=0.8)
    seq = katsura_seq(40, first=7, mult=1.5, max_lr=0.05, min_lr=0.0005, warmup=2, gamma=0.8)
    print('// step(epoch) path vs sequential path (mult 1.5, warmup 2):')
    for e in (7, 10, 16, 25, 33):
        print(f'//   epoch {e}: epoch-path {k.epoch_path_lr(e)!r}, sequential {seq[e]!r}')
