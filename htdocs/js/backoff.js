/* backoff.js — how long to wait before trying the server again. Delays
   double from `base` up to `max`, and each is "equal jitter" (half fixed,
   half random) so that many browsers cut off by the same outage do not all
   come back in the same instant. reset() after a success. */

export class Backoff {
  constructor({ base = 500, max = 8000 } = {}) {
    this.base = base;
    this.max = max;
    this.attempt = 0;
  }

  /** The next delay in milliseconds; each call waits longer than the last. */
  next() {
    const ceiling = Math.min(this.max, this.base * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  reset() {
    this.attempt = 0;
  }

  get failing() {
    return this.attempt > 0;
  }
}
