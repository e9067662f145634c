// Reads a room's event stream (GET /api/rooms/{id}/events, an EventSource
// held by nginx's nchan module) the way a browser's EventSource would, for
// the push tests.
//
// openEvents(base, cookie, path) resolves once nginx answered: when refused,
// {status, text, body (parsed JSON or null), headers}; else {status: 200,
// next(ms), flush(ms), close()}, where next() resolves with the next event
// ({data: parsed JSON, at: performance.now()}) or rejects after ms, and
// flush() waits ms and drops whatever events came meanwhile; `ended` is a
// promise of performance.now() when the server closed the stream, and
// `headers` the response's headers. Each event also carries its `id` line.
// `fetchOptions` is passed on to fetch (e.g. a dispatcher for TLS);
// `extraHeaders` are added to the request (Origin, Last-Event-ID).
import assert from 'node:assert/strict';

export async function openEvents(base, cookie, path, fetchOptions = {}, extraHeaders = {}) {
  const ctl = new AbortController();
  const headers = { accept: 'text/event-stream', ...extraHeaders };
  if (cookie) headers.cookie = cookie;
  const res = await fetch(base + path, { ...fetchOptions, headers, signal: ctl.signal });
  if (res.status !== 200) {
    const text = await res.text();
    let body = null;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, text, body, headers: res.headers };
  }
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const queue = [];
  const waiting = [];
  let buffer = '';
  let aborted = false;
  let markEnded;
  const ended = new Promise((resolve) => { markEnded = resolve; });
  (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart()).join('\n');
          if (!data) continue; // a comment (": hi") or keep-alive
          const id = block.split('\n').find((l) => l.startsWith('id:'))?.slice(3).trimStart();
          const event = { data: JSON.parse(data), id, at: performance.now() };
          if (waiting.length) waiting.shift()(event);
          else queue.push(event);
        }
      }
    } catch { /* aborted, or cut */ }
    if (!aborted) markEnded(performance.now());
  })();
  return {
    status: 200,
    headers: res.headers,
    ended,
    next(ms = 2000) {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const waiter = (e) => { clearTimeout(timer); resolve(e); };
        // A next() that timed out stops waiting, so a later event goes to a
        // later next() instead of to this rejected one.
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(new Error(`no event within ${ms} ms`));
        }, ms);
        waiting.push(waiter);
      });
    },
    async flush(ms) {
      await new Promise((r) => { setTimeout(r, ms); });
      queue.length = 0;
    },
    close() { aborted = true; ctl.abort(); },
  };
}
