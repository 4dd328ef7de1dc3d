/**
 * A compact bitmap font for labels and captions drawn into images: printable ASCII
 * (32..126), 5×9 pixels per glyph — capitals and digits on rows 0..6, descenders
 * (g, j, p, q, y, comma, underscore) on rows 7..8 — advanced 6 pixels per character,
 * scaled by a whole factor. Our own glyphs, so previews need no font on the machine.
 * @packageDocumentation
 */
import type { RawImage } from '../core/types.ts';

/** Glyph geometry in unscaled pixels. */
export const FONT = {
  /** Glyph width. */
  width: 5,
  /** Glyph height, descenders included. */
  height: 9,
  /** Horizontal distance from one character to the next (one blank column between glyphs). */
  advance: 6,
  /** First and last character codes covered. */
  first: 32,
  last: 126,
} as const;

/**
 * One glyph per code 32..126: 9 rows as two hex digits each, top row first; bit 4 of
 * a row is the leftmost column.
 */
const GLYPHS: readonly string[] = [
  '000000000000000000', // space
  '040404040400040000', // !
  '0a0a0a000000000000', // "
  '0a0a1f0a1f0a0a0000', // #
  '040f140e051e040000', // $
  '181902040813030000', // %
  '0c12140815120d0000', // &
  '040404000000000000', // quote
  '020408080804020000', // (
  '080402020204080000', // )
  '0004150e1504000000', // *
  '0004041f0404000000', // +
  '00000000000c040800', // ,
  '0000001f0000000000', // -
  '00000000000c0c0000', // .
  '000102040810000000', // /
  '0e11131519110e0000', // 0
  '040c040404040e0000', // 1
  '0e11010204081f0000', // 2
  '1f02040201110e0000', // 3
  '02060a121f02020000', // 4
  '1f101e0101110e0000', // 5
  '0608101e11110e0000', // 6
  '1f0102040808080000', // 7
  '0e11110e11110e0000', // 8
  '0e11110f01020c0000', // 9
  '000c0c000c0c000000', // :
  '000c0c000c04080000', // ;
  '020408100804020000', // <
  '00001f001f00000000', // =
  '080402010204080000', // >
  '0e1101020400040000', // ?
  '0e11010d15150e0000', // @
  '0e11111f1111110000', // A
  '1e11111e11111e0000', // B
  '0e11101010110e0000', // C
  '1c12111111121c0000', // D
  '1f10101e10101f0000', // E
  '1f10101e1010100000', // F
  '0e11101711110f0000', // G
  '1111111f1111110000', // H
  '0e04040404040e0000', // I
  '0702020202120c0000', // J
  '111214181412110000', // K
  '1010101010101f0000', // L
  '111b15151111110000', // M
  '111119151311110000', // N
  '0e11111111110e0000', // O
  '1e11111e1010100000', // P
  '0e11111115120d0000', // Q
  '1e11111e1412110000', // R
  '0f10100e01011e0000', // S
  '1f0404040404040000', // T
  '1111111111110e0000', // U
  '11111111110a040000', // V
  '1111111515150a0000', // W
  '11110a040a11110000', // X
  '11110a040404040000', // Y
  '1f01020408101f0000', // Z
  '0e08080808080e0000', // [
  '001008040201000000', // backslash
  '0e02020202020e0000', // ]
  '040a11000000000000', // ^
  '000000000000001f00', // _
  '080402000000000000', // backtick
  '00000e010f110f0000', // a
  '1010161911111e0000', // b
  '00000e1010110e0000', // c
  '01010d1311110f0000', // d
  '00000e111f100e0000', // e
  '0609081c0808080000', // f
  '00000f1111110f010e', // g
  '101016191111110000', // h
  '04000c0404040e0000', // i
  '02000602020202120c', // j
  '101012141814120000', // k
  '0c04040404040e0000', // l
  '00001a151515150000', // m
  '000016191111110000', // n
  '00000e1111110e0000', // o
  '00001e1111111e1010', // p
  '00000f1111110f0101', // q
  '000016191010100000', // r
  '00000f100e011e0000', // s
  '08081c080809060000', // t
  '0000111111130d0000', // u
  '00001111110a040000', // v
  '0000111115150a0000', // w
  '0000110a040a110000', // x
  '0000111111110f010e', // y
  '00001f0204081f0000', // z
  '030404080404030000', // {
  '040404040404040000', // |
  '180404020404180000', // }
  '000008150200000000', // ~
];

const ROWS: Uint8Array[] = GLYPHS.map((hex) => {
  const rows = new Uint8Array(FONT.height);
  for (let r = 0; r < FONT.height; r++) rows[r] = parseInt(hex.slice(2 * r, 2 * r + 2), 16);
  return rows;
});

/** The code drawn for characters outside 32..126 (`?`). */
const FALLBACK = 63;

/**
 * The bitmap of `ch` (its first UTF-16 unit): `FONT.height` rows, bit 4 the leftmost
 * column. Characters outside printable ASCII get the bitmap of `?`. Do not modify the result.
 */
export function glyph(ch: string): Uint8Array {
  const code = ch.charCodeAt(0);
  return ROWS[(code >= FONT.first && code <= FONT.last ? code : FALLBACK) - FONT.first]!;
}

/** Whether pixel (x, y) of `ch`'s unscaled glyph is ink (false outside the 5×9 box). */
export function glyphPixel(ch: string, x: number, y: number): boolean {
  if (x < 0 || x >= FONT.width || y < 0 || y >= FONT.height) return false;
  return ((glyph(ch)[y]! >> (FONT.width - 1 - x)) & 1) === 1;
}

/**
 * The size of `text` drawn at `scale`: width `(6·n − 1)·scale` (no blank column after
 * the last character), height `9·scale`; 0×0 for an empty string.
 */
export function measureText(text: string, scale = 1): { width: number; height: number } {
  if (text.length === 0) return { width: 0, height: 0 };
  return { width: (FONT.advance * text.length - 1) * scale, height: FONT.height * scale };
}

/**
 * Draw `text` into `image` in place with its top-left corner at (x, y), each font pixel
 * a `scale`×`scale` square of `color`. Only ink is written (the background shows
 * through); whatever falls outside the image is clipped. Callers draw on their own copy.
 */
export function drawText(
  image: RawImage,
  text: string,
  x: number,
  y: number,
  color: readonly [number, number, number],
  scale = 1,
): void {
  const s = Math.max(1, Math.floor(scale));
  const { width: W, height: H, data } = image;
  const [r, g, b] = color;
  for (let i = 0; i < text.length; i++) {
    const rows = glyph(text[i]!);
    const gx = x + i * FONT.advance * s;
    if (gx >= W) break;
    if (gx + FONT.width * s <= 0) continue;
    for (let row = 0; row < FONT.height; row++) {
      const bits = rows[row]!;
      if (bits === 0) continue;
      for (let col = 0; col < FONT.width; col++) {
        if (((bits >> (FONT.width - 1 - col)) & 1) === 0) continue;
        const x0 = Math.max(0, gx + col * s);
        const x1 = Math.min(W, gx + (col + 1) * s);
        const y0 = Math.max(0, y + row * s);
        const y1 = Math.min(H, y + (row + 1) * s);
        for (let py = y0; py < y1; py++) {
          for (let px = x0, o = (py * W + x0) * 3; px < x1; px++, o += 3) {
            data[o] = r;
            data[o + 1] = g;
            data[o + 2] = b;
          }
        }
      }
    }
  }
}
