// Process configuration, read once at start from the environment so the same
// binary serves `make run`, a systemd unit and a one-shot CGI call. Every
// setting has a safe default; README lists them.
#pragma once

#include <cstdint>
#include <string>

namespace chat {

struct Config {
  std::string db_path = "chat.db";   // CHAT_DB
  std::string secret_path;           // CHAT_SECRET_FILE, default "<db>.secret"
  int busy_timeout_ms = 5000;        // CHAT_BUSY_TIMEOUT_MS: writers wait this long for the lock
  std::string synchronous = "FULL";  // CHAT_SYNCHRONOUS: FULL (survives power loss) or NORMAL
  int checkpoint_pages = 1000;       // CHAT_CHECKPOINT_PAGES: WAL frames that start a checkpoint
  double post_burst = 20;            // CHAT_POST_BURST: posts a user may send at once
  double post_rate = 2;              // CHAT_POST_RATE: posts per second refilled after the burst
  int64_t session_ttl_ms = 30LL * 24 * 3600 * 1000;  // CHAT_SESSION_DAYS: absolute session life
  int64_t session_idle_ms = 7LL * 24 * 3600 * 1000;  // CHAT_SESSION_IDLE_HOURS: idle limit
  // Login throttling (throttle.h): failed attempts allowed per window.
  double login_pair_burst = 5;               // CHAT_LOGIN_PAIR_BURST: one account, one address
  double login_address_burst = 50;           // CHAT_LOGIN_ADDRESS_BURST: one address, any account
  double login_account_burst = 100;          // CHAT_LOGIN_ACCOUNT_BURST: one account, any address
  int64_t login_window_ms = 15 * 60 * 1000;  // CHAT_LOGIN_WINDOW_MINUTES: a full bucket drains
  // Abuse limits per user (throttle.h TakeUserToken): a burst, then a rate per second.
  double room_create_burst = 10;  // CHAT_ROOM_CREATE_BURST: rooms a user may create at once
  double room_create_rate = 0.1;  // CHAT_ROOM_CREATE_RATE: rooms per second after the burst
  int64_t rooms_per_user = 50;    // CHAT_ROOMS_PER_USER: live rooms one user may own
  double membership_burst = 30;   // CHAT_JOIN_BURST: joins and leaves a user may send at once
  double membership_rate = 1;     // CHAT_JOIN_RATE: joins and leaves per second after the burst
  std::string push_socket;        // CHAT_PUSH_SOCKET: nchan publisher's unix socket; "" = no push
  int prune_interval_s = 60;  // CHAT_PRUNE_INTERVAL_SECONDS: a worker's retention batches; 0 = none
  int prune_batch = 500;  // CHAT_PRUNE_BATCH: messages one retention transaction deletes at most
  // Files and images (issue 16, README "Files and images").
  std::string files_dir;                           // CHAT_FILES_DIR, default "<db>.files"
  int64_t file_max_bytes = 10LL * 1024 * 1024;     // CHAT_FILE_MAX_MB: one upload
  int64_t file_user_quota = 1024LL * 1024 * 1024;  // CHAT_FILE_USER_QUOTA_MB: one user's files
  int64_t file_total_quota = 20LL * 1024 * 1024 * 1024;  // CHAT_FILE_TOTAL_QUOTA_MB: everyone's
  double upload_burst = 20;                              // CHAT_UPLOAD_BURST: uploads at once
  double upload_per_minute = 20;                         // CHAT_UPLOADS_PER_MINUTE: after the burst
  int64_t file_unposted_ms = 60LL * 60 * 1000;           // CHAT_FILE_UNPOSTED_MINUTES: then removed
  int64_t image_max_pixels = 50LL * 1000 * 1000;         // CHAT_IMAGE_MAX_PIXELS: bigger is refused
  double image_decode_seconds = 10;                      // CHAT_IMAGE_DECODE_SECONDS: then given up
};

// Reads CHAT_* variables; unknown or malformed values fall back to defaults.
Config LoadConfig();

// The settings in force, one "CHAT_NAME=value" after another, for the start
// line each program logs (so an admin sees what a settings file changed).
// Paths and numbers only: the session secret lives in its file, never here.
// Every CHAT_ name in a comment of Config above must be in it: the install
// test (tests/api/install.test.mjs) reads this file and checks the log.
std::string Describe(const Config& c);

}  // namespace chat
