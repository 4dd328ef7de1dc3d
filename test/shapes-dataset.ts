/** A small generated detection set for training tests: rectangles on grey, YOLO format. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../src/core/rng.ts';

/**
 * Write `count` images of `size`² px into `dir` (images/, labels/, data.yaml), each with two
 * rectangles — class 0 red, class 1 blue — whose sides are drawn from `[min, max]` px.
 */
export async function shapesDataset(
  dir: string,
  { size, min, max, seed, count = 16 }: { size: number; min: number; max: number; seed: number; count?: number },
): Promise<void> {
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'labels'), { recursive: true });
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(size * size * 3).fill(200);
    const lines: string[] = [];
    for (let k = 0; k < 2; k++) {
      const cls = rng.int(0, 1);
      const w = rng.int(min, max);
      const h = rng.int(min, max);
      const x = rng.int(0, size - w);
      const y = rng.int(0, size - h);
      for (let yy = y; yy < y + h; yy++) {
        for (let xx = x; xx < x + w; xx++) data.set(cls === 0 ? [220, 30, 30] : [30, 30, 220], (yy * size + xx) * 3);
      }
      lines.push(`${cls} ${(x + w / 2) / size} ${(y + h / 2) / size} ${w / size} ${h / size}`);
    }
    await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toFile(path.join(dir, 'images', `${i}.png`));
    fs.writeFileSync(path.join(dir, 'labels', `${i}.txt`), lines.join('\n') + '\n');
  }
  fs.writeFileSync(path.join(dir, 'data.yaml'), 'names: [red, blue]\n');
}
