// `make bench`, files (issue 16): uploads per second of a 100 KB and a 5 MB
// file, and of a small JPEG photo (the decode + strip + thumbnail path),
// each from CONNS clients at once for SECONDS, through the real nginx and
// files workers. The same bytes each time (content-addressed: the disk
// holds one copy, while every upload still writes, fsyncs and renames its
// own temporary file). Opaque bytes for the two sizes: receiving, hashing
// and the durable write are what is measured; the photo adds libvips.
import { randomBytes } from 'node:crypto';
import { convert, pngRgb } from '../lib/images.mjs';

// Uploads `bytes` as fast as `conns` clients can for `seconds`; returns
// {uploads, per_s, mb_per_s, p50_ms, p99_ms, errors, first_error}.
export async function uploadRate({ base, users, bytes, name, seconds, conns }) {
  const origin = base.replace(/\/$/, '');
  const end = Date.now() + seconds * 1000;
  const times = [];
  let errors = 0;
  let firstError = null;
  let started = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: conns }, async (_, c) => {
    while (Date.now() < end) {
      const u = users[(started += 1) % users.length] ?? users[c];
      const form = new FormData();
      form.append('file', new Blob([bytes]), name);
      const t = performance.now();
      try {
        const res = await fetch(`${base}/api/rooms/${u.room}/files`, {
          method: 'POST', body: form, headers: { cookie: `chat_session=${u.cookie}`, origin },
        });
        const text = await res.text();
        if (res.status === 201) times.push(performance.now() - t);
        else {
          errors += 1;
          // The status and the API's error code: a bare 503 once left its
          // cause to be guessed (it was nginx's, README "Issue 16").
          let code = '';
          try { code = JSON.parse(text).error.code; } catch { /* not JSON */ }
          firstError ??= `${res.status}${code ? ` ${code}` : ''}`;
        }
      } catch (e) {
        errors += 1;
        firstError ??= e.message;
      }
    }
  }));
  const elapsed = (Date.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  const pct = (p) => (times.length ? +times[Math.min(times.length - 1, Math.floor(times.length * p))].toFixed(1) : null);
  return {
    bytes: bytes.length,
    uploads: times.length,
    per_s: +(times.length / elapsed).toFixed(1),
    mb_per_s: +((times.length * bytes.length) / elapsed / 1e6).toFixed(1),
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    errors,
    first_error: firstError,
  };
}

export function benchFiles() {
  return {
    kb100: randomBytes(100 * 1000),
    mb5: randomBytes(5 * 1000 * 1000),
    photo: convert(pngRgb(1600, 1200), 'jpg'),
  };
}
