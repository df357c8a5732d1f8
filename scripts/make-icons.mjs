// Draws the toolbar icons (a cat's head on a blue rounded square) into
// extension/icons/icon-<size>.png. No dependencies: pixels are computed
// with 4×4 supersampling and written as PNG with node's zlib.
// Usage: node scripts/make-icons.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BLUE = [9, 114, 211];
const WHITE = [255, 255, 255];
const DARK = [0, 7, 22];

function inRoundedSquare(x, y, r) {
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}
function inTriangle(px, py, [ax, ay], [bx, by], [cx, cy]) {
  const s = (x1, y1, x2, y2, x3, y3) => (x1 - x3) * (y2 - y3) - (x2 - x3) * (y1 - y3);
  const d1 = s(px, py, ax, ay, bx, by), d2 = s(px, py, bx, by, cx, cy), d3 = s(px, py, cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}
// Colour at (x, y) in the unit square, or null for transparent.
function shade(x, y) {
  if (!inRoundedSquare(x, y, 0.2)) return null;
  const head = (x - 0.5) ** 2 / 0.3 ** 2 + (y - 0.58) ** 2 / 0.26 ** 2 <= 1;
  const ears = inTriangle(x, y, [0.22, 0.5], [0.25, 0.16], [0.45, 0.36]) || inTriangle(x, y, [0.78, 0.5], [0.75, 0.16], [0.55, 0.36]);
  if (!head && !ears) return BLUE;
  const eye = (x - 0.39) ** 2 + (y - 0.56) ** 2 <= 0.045 ** 2 || (x - 0.61) ** 2 + (y - 0.56) ** 2 <= 0.045 ** 2;
  return eye ? DARK : WHITE;
}

function png(size) {
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) {
        const c = shade((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size);
        if (c) { r += c[0]; g += c[1]; b += c[2]; a += 1; }
      }
      if (a) row.set([Math.round(r / a), Math.round(g / a), Math.round(b / a), Math.round((a / 16) * 255)], 1 + px * 4);
    }
    rows.push(row);
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const out = new URL('../extension/icons/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const size of [16, 32, 48, 128]) writeFileSync(new URL(`icon-${size}.png`, out), png(size));
