// What a long-lived worker does so that its memory stays near what it uses
// (README "Performance", S6): glibc's malloc keeps what a request freed, in
// an arena per accepting thread, and returns to the kernel only what lies at
// the very top of a heap. Measured with `node tests/bench/run.mjs --s6`.
#pragma once

namespace chat {

// At start, before any thread but the caller exists: one malloc arena for
// all of this process's `threads` (glibc's default is one per thread, up to
// eight per core, each keeping its own freed memory).
void ConfigureMalloc(int threads);

// Starts a thread that, once a second and only if a request was answered
// since its last turn, gives every whole free page of the heap back to the
// kernel (malloc_trim(0)). It takes no signals, so SIGTERM still reaches
// the accepting threads (serve.cc).
void StartHeapTrimmer();

// Called after each request: tells the trimmer there may be freed memory.
void NoteRequestDone();

}  // namespace chat
