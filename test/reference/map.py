"""Reference numbers for test/map.test.ts (SPEC §13). Run: /usr/bin/python3 test/reference/map.py

Debian bookworm has no python3-pycocotools package and only the npm registry and Debian are
reachable here, so this is our own numpy re-implementation of the algorithm pycocotools'
COCOeval documents for iouType='bbox' (evaluate -> evaluateImg per image and category ->
accumulate -> summarize), structured like it so that it checks evaluateMap() independently
of src/train/map.ts's data layout:
  * images = sorted ids; categories = sorted ids; per (image, category): detections sorted
    by -score with a stable sort, cut to maxDets; gts ignored (iscrowd, or area outside the
    range) sorted last, stably;
  * bbox IoU on xywh boxes as maskApi bbIou: w = min(dx+dw, gx+gw) - max(dx, gx), <= 0 -> 0;
    union = det area for a crowd gt, else det area + gt area - intersection;
  * matching per IoU threshold t (np.linspace(.5, .95, 10)): best = min(t, 1 - 1e-10);
    skip gts already matched unless crowd; stop at the first ignored gt once a regular gt
    is held; take a gt when iou >= best (so a later gt wins a tie);
  * accumulate per category: concatenate images in id order, stable sort by -score,
    tp = matched & !ignored, fp = !matched & !ignored, rc = tp / npig,
    pr = tp / (tp + fp + np.spacing(1)), envelope from the right, precision at
    searchsorted(rc, linspace(0, 1, 101), 'left'), 0 past the end; -1 when npig == 0;
  * summarize: mean of precision entries > -1 (all thresholds, or t == .5 / t == .75).
Synthetic sets come from the 32-bit LCG the test implements:
  x <- (1664525 x + 1013904223) mod 2^32,  u = x / 2^32.
"""
import numpy as np

IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)


def lcg(seed):
    x = seed & 0xFFFFFFFF
    while True:
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        yield x / 4294967296.0


def synth(seed, n_images, n_classes, crowd_rate, max_obj=8, max_fp=4):
    """gts and detections (voc boxes). Every loop draws a fixed count of numbers."""
    g = lcg(seed)
    gts, dts = [], []
    for img in range(n_images):
        image_id = 3 * img + 1
        n_obj = int(next(g) * max_obj)
        for _ in range(n_obj):
            u = [next(g) for _ in range(16)]
            c = int(u[0] * n_classes)
            x, y = u[1] * 500, u[2] * 400
            w, h = 4 + u[3] * 150, 4 + u[4] * 150
            crowd = u[5] < crowd_rate
            gts.append(dict(imageId=image_id, classId=c, box=[x, y, x + w, y + h], iscrowd=crowd))
            if u[6] < 0.85:  # detected, jittered
                dx, dy = (u[7] - 0.5) * 0.3 * w, (u[8] - 0.5) * 0.3 * h
                sw, sh = 1 + (u[9] - 0.5) * 0.4, 1 + (u[10] - 0.5) * 0.4
                dc = int(u[11] * n_classes) if u[12] < 0.1 else c
                bx1, by1 = x + dx, y + dy
                dts.append(dict(imageId=image_id, classId=dc, score=u[13],
                                box=[bx1, by1, bx1 + w * sw, by1 + h * sh]))
                if u[14] < 0.2:  # a duplicate, slightly shifted, lower score
                    dts.append(dict(imageId=image_id, classId=dc, score=u[13] * u[15],
                                    box=[bx1 + 2, by1 - 1, bx1 + w * sw + 3, by1 + h * sh + 1]))
        n_fp = int(next(g) * max_fp)
        for _ in range(n_fp):
            u = [next(g) for _ in range(6)]
            c = int(u[0] * (n_classes + 1))  # class n_classes has no gt at all
            x, y = u[1] * 500, u[2] * 400
            w, h = 4 + u[3] * 120, 4 + u[4] * 120
            dts.append(dict(imageId=image_id, classId=c, score=u[5] * 0.7, box=[x, y, x + w, y + h]))
    return gts, dts


def bb_iou(d, g, crowd):
    """d, g: xywh."""
    w = min(d[2] + d[0], g[2] + g[0]) - max(d[0], g[0])
    if w <= 0:
        return 0.0
    h = min(d[3] + d[1], g[3] + g[1]) - max(d[1], g[1])
    if h <= 0:
        return 0.0
    i = w * h
    da = d[2] * d[3]
    u = da if crowd else da + g[2] * g[3] - i
    return i / u


def coco_eval(gts, dts, max_det=100, a_rng=(0, 1e10), iou_thrs=IOU_THRS):
    def xywh(b):
        return [b[0], b[1], b[2] - b[0], b[3] - b[1]]
    G = [dict(id=i + 1, image_id=g['imageId'], category_id=g['classId'], bbox=xywh(g['box']),
              iscrowd=int(g.get('iscrowd', False)), area=(g['box'][2] - g['box'][0]) * (g['box'][3] - g['box'][1]))
         for i, g in enumerate(gts)]
    D = [dict(id=i + 1, image_id=d['imageId'], category_id=d['classId'], bbox=xywh(d['box']), score=d['score'])
         for i, d in enumerate(dts)]
    for d in D:
        d['area'] = d['bbox'][2] * d['bbox'][3]
    img_ids = sorted(set([g['image_id'] for g in G] + [d['image_id'] for d in D]))
    cat_ids = sorted(set([g['category_id'] for g in G] + [d['category_id'] for d in D]))
    gts_by, dts_by = {}, {}
    for g in G:
        g['ignore'] = g['iscrowd']
        gts_by.setdefault((g['image_id'], g['category_id']), []).append(g)
    for d in D:
        dts_by.setdefault((d['image_id'], d['category_id']), []).append(d)
    T = len(iou_thrs)

    def evaluate_img(img, cat):
        gt = gts_by.get((img, cat), [])
        dt = dts_by.get((img, cat), [])
        if not gt and not dt:
            return None
        for g in gt:
            g['_ignore'] = 1 if (g['ignore'] or g['area'] < a_rng[0] or g['area'] > a_rng[1]) else 0
        gt = [gt[i] for i in np.argsort([g['_ignore'] for g in gt], kind='mergesort')]
        dt = [dt[i] for i in np.argsort([-d['score'] for d in dt], kind='mergesort')][:max_det]
        ious = np.array([[bb_iou(d['bbox'], g['bbox'], g['iscrowd']) for g in gt] for d in dt]).reshape(len(dt), len(gt))
        gtm = np.zeros((T, len(gt)))
        dtm = np.zeros((T, len(dt)))
        gt_ig = np.array([g['_ignore'] for g in gt])
        dt_ig = np.zeros((T, len(dt)))
        for ti, t in enumerate(iou_thrs):
            for di, d in enumerate(dt):
                best = min(t, 1 - 1e-10)
                m = -1
                for gi, g in enumerate(gt):
                    if gtm[ti, gi] > 0 and not g['iscrowd']:
                        continue
                    if m > -1 and gt_ig[m] == 0 and gt_ig[gi] == 1:
                        break
                    if ious[di, gi] < best:
                        continue
                    best = ious[di, gi]
                    m = gi
                if m == -1:
                    continue
                dt_ig[ti, di] = gt_ig[m]
                dtm[ti, di] = gt[m]['id']
                gtm[ti, m] = d['id']
        out_of_range = np.array([d['area'] < a_rng[0] or d['area'] > a_rng[1] for d in dt]).reshape(1, len(dt))
        dt_ig = np.logical_or(dt_ig, np.logical_and(dtm == 0, np.repeat(out_of_range, T, 0)))
        return dict(dtScores=np.array([d['score'] for d in dt]), dtm=dtm, dtIg=dt_ig, gtIg=gt_ig)

    precision = -np.ones((T, len(REC_THRS), len(cat_ids)))
    for k, cat in enumerate(cat_ids):
        E = [e for e in (evaluate_img(img, cat) for img in img_ids) if e is not None]
        if not E:
            continue
        scores = np.concatenate([e['dtScores'] for e in E])
        inds = np.argsort(-scores, kind='mergesort')
        dtm = np.concatenate([e['dtm'] for e in E], axis=1)[:, inds]
        dt_ig = np.concatenate([e['dtIg'] for e in E], axis=1)[:, inds]
        gt_ig = np.concatenate([e['gtIg'] for e in E])
        npig = np.count_nonzero(gt_ig == 0)
        if npig == 0:
            continue
        tps = np.logical_and(dtm, np.logical_not(dt_ig))
        fps = np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig))
        tp_sum = np.cumsum(tps, axis=1).astype(np.float64)
        fp_sum = np.cumsum(fps, axis=1).astype(np.float64)
        for t in range(T):
            tp, fp = tp_sum[t], fp_sum[t]
            nd = len(tp)
            rc = tp / npig
            pr = (tp / (fp + tp + np.spacing(1))).tolist()
            for i in range(nd - 1, 0, -1):
                if pr[i] > pr[i - 1]:
                    pr[i - 1] = pr[i]
            q = np.zeros(len(REC_THRS))
            for ri, pi in enumerate(np.searchsorted(rc, REC_THRS, side='left')):
                if pi >= nd:
                    break
                q[ri] = pr[pi]
            precision[t, :, k] = q

    def summ(s):
        s = s[s > -1]
        return -1.0 if s.size == 0 else float(np.mean(s))
    res = dict(map=summ(precision), map50=summ(precision[np.where(iou_thrs == .5)[0]]),
               map75=summ(precision[np.where(iou_thrs == .75)[0]]), perClass=[])
    for k, cat in enumerate(cat_ids):
        p = precision[:, :, k]
        res['perClass'].append((cat, summ(p), summ(p[0]), summ(p[5])))
    return res


def show(name, r):
    print(f"// {name}")
    print(f"  map: {r['map']!r}, map50: {r['map50']!r}, map75: {r['map75']!r},")
    print("  perClass: [" + ", ".join(f"[{c}, {a!r}, {a50!r}, {a75!r}]" for c, a, a50, a75 in r['perClass']) + "],")


if __name__ == '__main__':
    sets = {
        'A': synth(11, 40, 3, 0.0),
        'B': synth(12345, 60, 5, 0.08),
        'C': synth(777, 5, 1, 0.05, max_obj=30, max_fp=500),  # > 100 detections per image and class
    }
    for name, (g, d) in sets.items():
        print(f"// set {name}: {len(g)} gts ({sum(1 for x in g if x['iscrowd'])} crowd), {len(d)} detections")
        show(f'set {name} defaults', coco_eval(g, d))
    show('set C maxDets 10', coco_eval(*sets['C'], max_det=10))
    show('set B area small (0, 32**2)', coco_eval(*sets['B'], a_rng=(0, 32 ** 2)))
    show('set B area large (96**2, 1e10)', coco_eval(*sets['B'], a_rng=(96 ** 2, 1e10)))
    # hand cases
    one = [dict(imageId=1, classId=0, box=[0, 0, 10, 10]), dict(imageId=1, classId=0, box=[20, 20, 40, 40])]
    show('hand: TP, FP, TP', coco_eval(one, [
        dict(imageId=1, classId=0, score=0.9, box=[0, 0, 10, 10]),
        dict(imageId=1, classId=0, score=0.8, box=[50, 50, 60, 60]),
        dict(imageId=1, classId=0, score=0.7, box=[20, 20, 40, 40])]))
    G1 = [dict(imageId=1, classId=0, box=[0, 0, 10, 10])]
    show('hand: FP above one TP', coco_eval(G1, [
        dict(imageId=1, classId=0, score=0.9, box=[50, 50, 60, 60]),
        dict(imageId=1, classId=0, score=0.8, box=[0, 0, 10, 10])]))
    show('hand: IoU 0.8', coco_eval(G1, [dict(imageId=1, classId=0, score=0.9, box=[0, 0, 10, 8])]))
    crowd = [dict(imageId=1, classId=0, box=[200, 200, 250, 250]), dict(imageId=1, classId=0, box=[0, 0, 100, 100], iscrowd=True)]
    cd = [dict(imageId=1, classId=0, score=0.9, box=[10, 10, 30, 30]), dict(imageId=1, classId=0, score=0.85, box=[50, 50, 90, 70]),
          dict(imageId=1, classId=0, score=0.8, box=[200, 200, 250, 250])]
    show('hand: crowd', coco_eval(crowd, cd))
    show('hand: crowd flag off', coco_eval([dict(g, iscrowd=False) for g in crowd], cd))
    show('hand: regular before crowd', coco_eval(
        [dict(imageId=1, classId=0, box=[0, 0, 12, 10], iscrowd=True), dict(imageId=1, classId=0, box=[0, 0, 10, 6])],
        [dict(imageId=1, classId=0, score=0.9, box=[0, 0, 10, 10])]))
    show('hand: score tie across images 9 and 10', coco_eval(
        [dict(imageId=9, classId=0, box=[0, 0, 10, 10]), dict(imageId=10, classId=0, box=[0, 0, 10, 10])],
        [dict(imageId=10, classId=0, score=0.5, box=[0, 0, 10, 10]), dict(imageId=9, classId=0, score=0.5, box=[50, 50, 60, 60])]))
    show('hand: FP above two TPs', coco_eval(one, [
        dict(imageId=1, classId=0, score=0.9, box=[50, 50, 60, 60]),
        dict(imageId=1, classId=0, score=0.8, box=[0, 0, 10, 10]),
        dict(imageId=1, classId=0, score=0.7, box=[20, 20, 40, 40])]))
