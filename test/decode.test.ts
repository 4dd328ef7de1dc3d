/**
 * decodeImage on generated fixtures: every input kind (alpha, grey, CMYK, 16-bit,
 * EXIF-rotated) must come out as 8-bit RGB with 3 channels and the right pixels, and
 * an image over the pixel limit must be rejected.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage, type RawImage } from '../index.ts';

let dir = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-'));
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The RGB triple at (x, y). */
function pixel(img: RawImage, x: number, y: number): [number, number, number] {
  assert.ok(x >= 0 && x < img.width && y >= 0 && y < img.height, `(${x}, ${y}) outside ${img.width}×${img.height}`);
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

/** Asserts the decoded image's shape: `width × height`, 3 bytes a pixel. */
function assertShape(img: RawImage, width: number, height: number): void {
  assert.equal(img.width, width, 'width');
  assert.equal(img.height, height, 'height');
  assert.ok(img.data instanceof Uint8Array, 'data is a Uint8Array');
  assert.equal(img.data.length, width * height * 3, 'data is width × height × 3 bytes');
}

/** Asserts every channel of every pixel within `tol` of `expected(x, y)`. */
function assertPixels(img: RawImage, expected: (x: number, y: number) => [number, number, number], tol = 0, what = ''): void {
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const got = pixel(img, x, y);
      const want = expected(x, y);
      for (let c = 0; c < 3; c++) {
        if (Math.abs(got[c]! - want[c]!) > tol) {
          assert.fail(`${what} pixel (${x}, ${y}) is [${got}], expected [${want}] ± ${tol}`);
        }
      }
    }
  }
}

/** An 8-bit raw image of `channels` channels, filled by `fill(x, y)`. */
function rawImage(width: number, height: number, channels: 1 | 3 | 4, fill: (x: number, y: number) => number[]): Buffer {
  const buf = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) buf.set(fill(x, y), (y * width + x) * channels);
  return buf;
}

describe('decodeImage', () => {
  it('drops the alpha channel of an RGBA PNG and keeps the colour values (also where alpha is 0)', async () => {
    const [W, H] = [7, 5];
    // Colour varies with position; alpha alternates 0 / 128 / 255 so no flattening can hide.
    const fill = (x: number, y: number) => [10 + x * 30, 200 - y * 20, 30 + x + y, [0, 128, 255][(x + y) % 3]!];
    const file = path.join(dir, 'alpha.png');
    await sharp(rawImage(W, H, 4, fill), { raw: { width: W, height: H, channels: 4 } }).png().toFile(file);
    const meta = await sharp(file).metadata();
    assert.equal(meta.channels, 4, 'fixture has 4 channels');
    assert.equal(meta.hasAlpha, true, 'fixture has alpha');

    const img = await decodeImage(file);
    assertShape(img, W, H);
    assertPixels(img, (x, y) => fill(x, y).slice(0, 3) as [number, number, number], 0, 'RGBA PNG');
    assert.deepEqual(pixel(img, 0, 0), [10, 200, 30]);
    assert.deepEqual(pixel(img, 6, 4), [190, 120, 40]);
  });

  it('expands a 1-channel grey PNG to RGB with R = G = B = the grey value', async () => {
    const [W, H] = [6, 4];
    const grey = (x: number, y: number) => 17 + 37 * x + 5 * y; // 17..207, all distinct per column
    const file = path.join(dir, 'grey.png');
    await sharp(rawImage(W, H, 1, (x, y) => [grey(x, y)]), { raw: { width: W, height: H, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(file);
    const meta = await sharp(file).metadata();
    assert.equal(meta.channels, 1, 'fixture is a 1-channel PNG');

    const img = await decodeImage(file);
    assertShape(img, W, H);
    assertPixels(img, (x, y) => [grey(x, y), grey(x, y), grey(x, y)], 0, 'grey PNG');
    assert.deepEqual(pixel(img, 2, 1), [96, 96, 96]);
  });

  it('expands a 1-channel grey JPEG to RGB with R = G = B = the grey value', async () => {
    const [W, H] = [16, 16];
    const file = path.join(dir, 'grey.jpg');
    // A flat grey survives JPEG exactly (only the DC coefficient is non-zero).
    await sharp(Buffer.alloc(W * H, 77), { raw: { width: W, height: H, channels: 1 } })
      .toColourspace('b-w')
      .jpeg({ quality: 95 })
      .toFile(file);
    const meta = await sharp(file).metadata();
    assert.equal(meta.channels, 1, 'fixture is a 1-channel JPEG');

    const img = await decodeImage(file);
    assertShape(img, W, H);
    assertPixels(img, () => [77, 77, 77], 0, 'grey JPEG');
  });

  it('converts a CMYK JPEG to 3-channel sRGB with the colours it was made from', async () => {
    const [W, H] = [16, 8];
    // In-gamut colours (a CMYK round trip is exact to a few levels only for these). Read
    // without conversion, their ink values would be far off (light colours ⇒ little ink).
    const left: [number, number, number] = [230, 200, 160];
    const right: [number, number, number] = [60, 90, 140];
    const colour = (x: number) => (x < W / 2 ? left : right);
    const file = path.join(dir, 'cmyk.jpg');
    await sharp(rawImage(W, H, 3, (x) => colour(x)), { raw: { width: W, height: H, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .toFile(file);
    const meta = await sharp(file).metadata();
    assert.equal(meta.space, 'cmyk', 'fixture is a CMYK JPEG');
    assert.equal(meta.channels, 4, 'fixture has 4 channels');

    const img = await decodeImage(file);
    assertShape(img, W, H);
    // Away from the colour edge (JPEG blocks are 8 wide, so columns 0..7 and 8..15 are flat).
    for (const [x, want] of [[2, left], [W - 3, right]] as const) {
      const got = pixel(img, x, 3);
      for (let c = 0; c < 3; c++) {
        assert.ok(Math.abs(got[c]! - want[c]) <= 20, `CMYK pixel (${x}, 3) is [${got}], expected ≈ [${want}] (± 20)`);
      }
    }
  });

  it('scales a 16-bit RGB PNG down to 8 bits (value / 257), not the low byte and not clamped', async () => {
    const [W, H] = [5, 3];
    // 0xFFFF → 255, 0xABCD → 171 (43981 / 257 = 171.1), 0x1234 → 18 (4660 / 257 = 18.1);
    // the low bytes would be 0xFF, 0xCD = 205, 0x34 = 52, a clamp 255 everywhere.
    const rgb16 = [0xffff, 0xabcd, 0x1234];
    const data = new Uint16Array(W * H * 3);
    for (let i = 0; i < W * H; i++) data.set(rgb16, i * 3);
    const file = path.join(dir, 'rgb16.png');
    // A Uint16Array input is read as ushort; rgb16 keeps it 16-bit in the PNG.
    await sharp(data, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toFile(file);
    const meta = await sharp(file).metadata();
    assert.equal(meta.depth, 'ushort', 'fixture is a 16-bit PNG');
    assert.equal(meta.bitsPerSample, 16, 'fixture has 16 bits a sample');

    const img = await decodeImage(file);
    assertShape(img, W, H);
    assertPixels(img, () => [255, 171, 18], 0, '16-bit PNG');
    for (const [c, v] of rgb16.entries()) assert.ok(Math.abs(pixel(img, 0, 0)[c]! - v / 257) <= 0.5, `channel ${c} ≈ ${v} / 257`);
  });

  it('scales a 16-bit grey PNG down to 8-bit RGB', async () => {
    const [W, H] = [4, 4];
    const file = path.join(dir, 'grey16.png');
    await sharp(new Uint16Array(W * H).fill(0xabcd), { raw: { width: W, height: H, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toFile(file);
    const meta = await sharp(file).metadata();
    assert.equal(meta.depth, 'ushort', 'fixture is a 16-bit PNG');
    assert.equal(meta.channels, 1, 'fixture is a grey PNG');

    const img = await decodeImage(file);
    assertShape(img, W, H);
    assertPixels(img, () => [171, 171, 171], 0, '16-bit grey PNG');
  });

  // Stored 40 wide × 20 high with a red 10×10 square at the top left, blue elsewhere.
  // EXIF orientation 6 means "rotate 90° clockwise to display": stored (x, y) lands at
  // displayed (H − 1 − y, x), so the image becomes 20 × 40 and the square's stored
  // corners (0..9, 0..9) land at displayed x 10..19, y 0..9 (the top right).
  const [SW, SH] = [40, 20];
  const red: [number, number, number] = [255, 0, 0];
  const blue: [number, number, number] = [0, 0, 255];
  const stored = (x: number, y: number) => (x < 10 && y < 10 ? red : blue);
  const displayed = (x: number, y: number) => stored(y, SH - 1 - x);

  it('applies EXIF orientation 6 to a PNG: width and height swap, pixels rotate 90° clockwise', async () => {
    const file = path.join(dir, 'orient6.png');
    await sharp(rawImage(SW, SH, 3, stored), { raw: { width: SW, height: SH, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toFile(file);
    const meta = await sharp(file).metadata();
    assert.equal(meta.orientation, 6, 'fixture carries EXIF orientation 6');
    assert.equal(meta.width, SW, 'fixture is stored 40 wide');
    assert.equal(meta.height, SH, 'fixture is stored 20 high');

    const img = await decodeImage(file);
    assertShape(img, SH, SW);
    assertPixels(img, displayed, 0, 'orientation-6 PNG');
    // The stored top-left pixel is displayed at the top right; the displayed top left is blue.
    assert.deepEqual(pixel(img, SH - 1, 0), red);
    assert.deepEqual(pixel(img, 0, 0), blue);
    assert.deepEqual(pixel(img, 15, 5), red);
    assert.deepEqual(pixel(img, 5, 5), blue);
    assert.deepEqual(pixel(img, 15, 15), blue);
  });

  it('applies EXIF orientation 6 to a JPEG as well', async () => {
    const file = path.join(dir, 'orient6.jpg');
    await sharp(rawImage(SW, SH, 3, stored), { raw: { width: SW, height: SH, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .toFile(file);
    assert.equal((await sharp(file).metadata()).orientation, 6, 'fixture carries EXIF orientation 6');

    const img = await decodeImage(file);
    assertShape(img, SH, SW);
    // Block centres away from the red/blue edges, with JPEG tolerance.
    for (const [x, y] of [[15, 5], [5, 5], [15, 15], [5, 30], [17, 2]] as const) {
      const got = pixel(img, x, y);
      const want = displayed(x, y);
      for (let c = 0; c < 3; c++) {
        assert.ok(Math.abs(got[c]! - want[c]) <= 16, `pixel (${x}, ${y}) is [${got}], expected ≈ [${want}]`);
      }
    }
  });

  it('decodes bytes in a Buffer like a file', async () => {
    const bytes = await sharp(rawImage(3, 2, 3, (x, y) => [x * 100, y * 100, 7]), { raw: { width: 3, height: 2, channels: 3 } })
      .png()
      .toBuffer();
    const img = await decodeImage(bytes);
    assertShape(img, 3, 2);
    assertPixels(img, (x, y) => [x * 100, y * 100, 7], 0, 'PNG buffer');
  });

  it('rejects an image with more pixels than maxPixels, naming the pixel limit, and accepts one at the limit', async () => {
    const [W, H] = [30, 20]; // 600 pixels
    const file = path.join(dir, 'limit.png');
    await sharp({ create: { width: W, height: H, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toFile(file);

    await assert.rejects(decodeImage(file, { maxPixels: W * H - 1 }), (err: unknown) => {
      assert.ok(err instanceof Error, 'rejects with an Error');
      assert.match(err.message, /pixel limit/i);
      return true;
    });
    await assert.rejects(decodeImage(file, { maxPixels: 100 }), /pixel limit/i);

    const img = await decodeImage(file, { maxPixels: W * H });
    assertShape(img, W, H);
    assertPixels(img, () => [1, 2, 3], 0, 'image at the limit');
  });
});
