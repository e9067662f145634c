// Seeds for tests/fuzz/fuzz_image.cc, made at build time instead of
// committed as blobs: tiny PNG, JPEG (with a GPS EXIF segment), GIF and
// WebP images from tests/lib/images.mjs, a truncated one, and a PNG whose
// header claims 30,000 x 30,000 pixels. Writes into the folder given.
//   node tests/fuzz/image-seeds.mjs build/fuzz/corpus/image
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convert, jpegWithGps, pngBomb, pngRgb } from '../lib/images.mjs';

const dir = process.argv[2];
mkdirSync(dir, { recursive: true });
const png = pngRgb(24, 16);
writeFileSync(join(dir, 'seed.png'), png);
writeFileSync(join(dir, 'seed.jpg'), jpegWithGps(24, 16));
writeFileSync(join(dir, 'seed.gif'), convert(png, 'gif'));
writeFileSync(join(dir, 'seed.webp'), convert(png, 'webp'));
// libvips copies EXIF from JPEG to WebP: a WebP with a GPS position.
writeFileSync(join(dir, 'gps.webp'), convert(jpegWithGps(24, 16), 'webp'));
writeFileSync(join(dir, 'truncated.png'), png.subarray(0, png.length - 20));
// A whole small bomb: 3,000 x 2,000 one-bit pixels in about a kilobyte, over
// the target's 4-megapixel limit; and only the head of a bigger one.
writeFileSync(join(dir, 'bomb.png'), await pngBomb(3000, 2000));
writeFileSync(join(dir, 'bomb-head.png'), (await pngBomb(30000, 64)).subarray(0, 200));
