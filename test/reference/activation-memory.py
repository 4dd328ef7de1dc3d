"""Activation memory of YOLOv4 per input pixel: the default factor of memoryBudget (src/batch/shapes.ts YOLOV4_ACTIVATION_FACTOR).

The layer list follows yolov4.cfg (AlexeyAB/darknet): 162 layers, route indices as in the cfg.
Counted per layer, as a framework keeps them for backprop: a convolution's output, its batch-norm
output and its activation output; route (concat), shortcut (add), max-pool and upsample outputs.
"""
L = []
def conv(f, s=1, k=1, bn=True, act=True): L.append(('conv', f, s, bn, act))
def route(*ls): L.append(('route', ls))
def short(): L.append(('shortcut',))
def pool(): L.append(('maxpool',))
def up(): L.append(('upsample',))
def yolo(): L.append(('yolo',))

conv(32)
# CSP stage 1 (its own layout in the cfg)
conv(64, 2); conv(64); route(-2); conv(64); conv(32); conv(64); short(); conv(64); route(-1, -7); conv(64)
def stage(f, n):
    conv(f, 2); conv(f // 2); route(-2); conv(f // 2)
    for _ in range(n): conv(f // 2); conv(f // 2); short()
    conv(f // 2); route(-1, -(3 * n + 4)); conv(f)
stage(128, 2); stage(256, 8); stage(512, 8); stage(1024, 4)
# neck: SPP, PAN, heads
conv(512); conv(1024); conv(512); pool(); route(-2); pool(); route(-4); pool(); route(-1, -3, -5, -6)
conv(512); conv(1024); conv(512); conv(256); up(); route(85); conv(256); route(-1, -3)
conv(256); conv(512); conv(256); conv(512); conv(256); conv(128); up(); route(54); conv(128); route(-1, -3)
conv(128); conv(256); conv(128); conv(256); conv(128)
conv(256); conv(255, bn=False, act=False); yolo()
route(-4); conv(256, 2); route(-1, -16)
conv(256); conv(512); conv(256); conv(512); conv(256); conv(512); conv(255, bn=False, act=False); yolo()
route(-4); conv(512, 2); route(-1, -37)
conv(512); conv(1024); conv(512); conv(1024); conv(512); conv(1024); conv(255, bn=False, act=False); yolo()

S = 608
outs = []
c, h = 3, S
saved = 0
for l in L:
    if l[0] == 'conv':
        _, f, s, bn, act = l
        h //= s; c = f
        saved += c * h * h * (1 + bn + act)  # conv output, batch-norm output, activation output
    elif l[0] == 'route':
        idx = [i if i >= 0 else len(outs) + i for i in l[1]]
        c = sum(outs[i][0] for i in idx); h = outs[idx[0]][1]
        saved += c * h * h
    elif l[0] in ('shortcut', 'maxpool'):
        saved += c * h * h
    elif l[0] == 'upsample':
        h *= 2; saved += c * h * h
    outs.append((c, h))
assert len(outs) == 162, len(outs)
print('layers', len(outs), 'last grids', [o for o, l in zip(outs, L) if l[0] == 'yolo'])
print('kept floats per input pixel', saved / (S * S))
print('factor over the float32 input (3 floats per pixel)', saved / (S * S * 3))
print('MiB per 608 image', saved * 4 / 2**20)
