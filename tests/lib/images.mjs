// Test images made at test time, never committed blobs: PNGs written here
// byte by byte (RFC 2083: signature, IHDR, IDAT of zlib-deflated rows,
// IEND, each chunk with its CRC-32), other formats converted from them by
// libvips' own `vips copy` command (Debian's libvips-tools), and a JPEG
// given a hand-built EXIF APP1 segment (CIPA DC-008 / TIFF 6.0 layout) with
// a GPS position in it. Every byte here can be explained.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, createDeflate, crc32 as zlibCrc32 } from 'node:zlib';

// CRC-32 as PNG uses it (ISO 3309), computed here when node lacks zlib.crc32.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  if (zlibCrc32) return zlibCrc32(buf);
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function ihdr(width, height, bitDepth, colourType) {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = bitDepth;
  h[9] = colourType;
  return h; // compression, filter, interlace 0
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// An RGB PNG of width x height with a colour gradient (so encoders have
// something to encode), 8 bits per channel.
export function pngRgb(width, height) {
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y += 1) {
    const row = y * (1 + width * 3);
    rows[row] = 0; // filter: none
    for (let x = 0; x < width; x += 1) {
      rows[row + 1 + x * 3] = (x * 255) / width;
      rows[row + 2 + x * 3] = (y * 255) / height;
      rows[row + 3 + x * 3] = 128;
    }
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(width, height, 8, 2)),
    chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

// A 1-bit greyscale PNG of width x height, all black: a decompression bomb
// when large (30,000 x 30,000 is 900 million pixels in ~110 KB). The rows are
// deflated as a stream, so making it never holds them all.
export async function pngBomb(width, height) {
  const row = Buffer.alloc(1 + Math.ceil(width / 8)); // filter byte + zero bits
  const deflate = createDeflate({ level: 9 });
  const parts = [];
  deflate.on('data', (d) => parts.push(d));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  for (let y = 0; y < height; y += 1) {
    if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(width, height, 1, 0)),
    chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

// Converts PNG bytes with `vips copy` to the format of `ext` ("jpg", "gif",
// "webp"), e.g. convert(png, 'jpg[Q=85]').
export function convert(png, ext) {
  const dir = mkdtempSync(join(tmpdir(), 'chat-img-'));
  try {
    writeFileSync(join(dir, 'in.png'), png);
    const out = join(dir, `out.${ext}`);
    execFileSync('vips', ['copy', join(dir, 'in.png'), out]);
    return readFileSync(out.replace(/\[.*\]$/, ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// What libvips reads in an image's header (`vipsheader -a`), as text.
export function header(bytes, ext) {
  const dir = mkdtempSync(join(tmpdir(), 'chat-img-'));
  try {
    writeFileSync(join(dir, `x.${ext}`), bytes);
    return execFileSync('vipsheader', ['-a', join(dir, `x.${ext}`)], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const GPS_MARKER = 'CHATROOM-TEST-CAMERA-SERIAL-4711';

// A JPEG with an EXIF APP1 segment right after SOI: IFD0 holds an
// ImageDescription (GPS_MARKER, to find in the bytes) and a pointer to a
// GPS IFD with GPSLatitudeRef "N" and GPSLatitude 48/1 51/1 2999/100 (Paris).
// Little-endian TIFF ("II", 42).
export function jpegWithGps(width = 64, height = 48) {
  const jpeg = convert(pngRgb(width, height), 'jpg');
  const desc = Buffer.from(`${GPS_MARKER}\0`, 'latin1');
  const tiff = Buffer.alloc(8 + 2 + 2 * 12 + 4 + 2 + 2 * 12 + 4 + 24 + desc.length);
  let o = 0;
  tiff.write('II', 0, 'latin1'); tiff.writeUInt16LE(42, 2); tiff.writeUInt32LE(8, 4);
  o = 8;
  const gpsIfd = 8 + 2 + 2 * 12 + 4; // 38
  const rationals = gpsIfd + 2 + 2 * 12 + 4; // 68
  const descAt = rationals + 24; // 92
  tiff.writeUInt16LE(2, o); o += 2;
  // 0x010E ImageDescription, ASCII, count, offset
  tiff.writeUInt16LE(0x010e, o); tiff.writeUInt16LE(2, o + 2); tiff.writeUInt32LE(desc.length, o + 4);
  tiff.writeUInt32LE(descAt, o + 8); o += 12;
  // 0x8825 GPSInfo IFD pointer, LONG, 1
  tiff.writeUInt16LE(0x8825, o); tiff.writeUInt16LE(4, o + 2); tiff.writeUInt32LE(1, o + 4);
  tiff.writeUInt32LE(gpsIfd, o + 8); o += 12;
  tiff.writeUInt32LE(0, o); o += 4; // no IFD1
  tiff.writeUInt16LE(2, o); o += 2;
  // 0x0001 GPSLatitudeRef, ASCII, 2, "N\0" inline
  tiff.writeUInt16LE(0x0001, o); tiff.writeUInt16LE(2, o + 2); tiff.writeUInt32LE(2, o + 4);
  tiff.write('N\0', o + 8, 'latin1'); o += 12;
  // 0x0002 GPSLatitude, RATIONAL, 3, offset
  tiff.writeUInt16LE(0x0002, o); tiff.writeUInt16LE(5, o + 2); tiff.writeUInt32LE(3, o + 4);
  tiff.writeUInt32LE(rationals, o + 8); o += 12;
  tiff.writeUInt32LE(0, o); o += 4;
  for (const [n, d] of [[48, 1], [51, 1], [2999, 100]]) {
    tiff.writeUInt32LE(n, o); tiff.writeUInt32LE(d, o + 4); o += 8;
  }
  desc.copy(tiff, o);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.alloc(4);
  app1[0] = 0xff; app1[1] = 0xe1; app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), app1, payload, jpeg.subarray(2)]);
}
