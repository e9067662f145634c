// See config.h.
#include "config.h"

#include <cstdlib>
#include <sstream>

namespace chat {
namespace {

double EnvNumber(const char* name, double fallback, double min, double max) {
  const char* v = getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  double d = strtod(v, &end);
  if (*end != '\0' || !(d >= min && d <= max)) return fallback;
  return d;
}

}  // namespace

Config LoadConfig() {
  Config c;
  if (const char* db = getenv("CHAT_DB"); db != nullptr && *db != '\0') c.db_path = db;
  const char* secret = getenv("CHAT_SECRET_FILE");
  c.secret_path = (secret != nullptr && *secret != '\0') ? secret : c.db_path + ".secret";
  c.busy_timeout_ms = static_cast<int>(EnvNumber("CHAT_BUSY_TIMEOUT_MS", 5000, 100, 600000));
  if (const char* s = getenv("CHAT_SYNCHRONOUS"); s != nullptr) {
    std::string v = s;
    if (v == "NORMAL" || v == "FULL") c.synchronous = v;
  }
  c.checkpoint_pages =
      static_cast<int>(EnvNumber("CHAT_CHECKPOINT_PAGES", c.checkpoint_pages, 10, 1000000));
  c.post_burst = EnvNumber("CHAT_POST_BURST", c.post_burst, 1, 1e9);
  c.post_rate = EnvNumber("CHAT_POST_RATE", c.post_rate, 0.001, 1e9);
  c.session_ttl_ms =
      static_cast<int64_t>(EnvNumber("CHAT_SESSION_DAYS", 30, 0.00001, 3650) * 24 * 3600 * 1000);
  c.login_pair_burst = EnvNumber("CHAT_LOGIN_PAIR_BURST", c.login_pair_burst, 1, 1e9);
  c.login_address_burst = EnvNumber("CHAT_LOGIN_ADDRESS_BURST", c.login_address_burst, 1, 1e9);
  c.login_account_burst = EnvNumber("CHAT_LOGIN_ACCOUNT_BURST", c.login_account_burst, 1, 1e9);
  c.login_window_ms =
      static_cast<int64_t>(EnvNumber("CHAT_LOGIN_WINDOW_MINUTES", 15, 0.001, 1440) * 60 * 1000);
  c.session_idle_ms =
      static_cast<int64_t>(EnvNumber("CHAT_SESSION_IDLE_HOURS", 168, 0.0001, 87600) * 3600 * 1000);
  c.room_create_burst = EnvNumber("CHAT_ROOM_CREATE_BURST", c.room_create_burst, 1, 1e9);
  c.room_create_rate = EnvNumber("CHAT_ROOM_CREATE_RATE", c.room_create_rate, 0.0001, 1e9);
  c.rooms_per_user = static_cast<int64_t>(
      EnvNumber("CHAT_ROOMS_PER_USER", static_cast<double>(c.rooms_per_user), 1, 1e9));
  c.membership_burst = EnvNumber("CHAT_JOIN_BURST", c.membership_burst, 1, 1e9);
  c.membership_rate = EnvNumber("CHAT_JOIN_RATE", c.membership_rate, 0.0001, 1e9);
  if (const char* push = getenv("CHAT_PUSH_SOCKET"); push != nullptr) c.push_socket = push;
  c.prune_interval_s = static_cast<int>(
      EnvNumber("CHAT_PRUNE_INTERVAL_SECONDS", c.prune_interval_s, 0, 7 * 24 * 3600));
  c.prune_batch = static_cast<int>(EnvNumber("CHAT_PRUNE_BATCH", c.prune_batch, 1, 100000));
  const char* files = getenv("CHAT_FILES_DIR");
  c.files_dir = (files != nullptr && *files != '\0') ? files : c.db_path + ".files";
  constexpr double kMiB = 1024 * 1024;
  c.file_max_bytes = static_cast<int64_t>(EnvNumber("CHAT_FILE_MAX_MB", 10, 0.001, 4096) * kMiB);
  c.file_user_quota =
      static_cast<int64_t>(EnvNumber("CHAT_FILE_USER_QUOTA_MB", 1024, 0.001, 1e9) * kMiB);
  c.file_total_quota =
      static_cast<int64_t>(EnvNumber("CHAT_FILE_TOTAL_QUOTA_MB", 20480, 0.001, 1e12) * kMiB);
  c.upload_burst = EnvNumber("CHAT_UPLOAD_BURST", c.upload_burst, 1, 1e9);
  c.upload_per_minute = EnvNumber("CHAT_UPLOADS_PER_MINUTE", c.upload_per_minute, 0.001, 1e9);
  c.file_unposted_ms =
      static_cast<int64_t>(EnvNumber("CHAT_FILE_UNPOSTED_MINUTES", 60, 0.0001, 1e6) * 60 * 1000);
  c.image_max_pixels = static_cast<int64_t>(EnvNumber("CHAT_IMAGE_MAX_PIXELS", 50e6, 1, 1e10));
  c.image_decode_seconds = EnvNumber("CHAT_IMAGE_DECODE_SECONDS", 10, 0.01, 3600);
  return c;
}

std::string Describe(const Config& c) {
  std::ostringstream out;
  out << "CHAT_DB=" << c.db_path << " CHAT_SECRET_FILE=" << c.secret_path
      << " CHAT_SYNCHRONOUS=" << c.synchronous << " CHAT_BUSY_TIMEOUT_MS=" << c.busy_timeout_ms
      << " CHAT_CHECKPOINT_PAGES=" << c.checkpoint_pages << " CHAT_POST_BURST=" << c.post_burst
      << " CHAT_POST_RATE=" << c.post_rate
      << " CHAT_SESSION_DAYS=" << static_cast<double>(c.session_ttl_ms) / (24 * 3600 * 1000)
      << " CHAT_SESSION_IDLE_HOURS=" << static_cast<double>(c.session_idle_ms) / (3600 * 1000)
      << " CHAT_LOGIN_PAIR_BURST=" << c.login_pair_burst
      << " CHAT_LOGIN_ADDRESS_BURST=" << c.login_address_burst
      << " CHAT_LOGIN_ACCOUNT_BURST=" << c.login_account_burst
      << " CHAT_LOGIN_WINDOW_MINUTES=" << static_cast<double>(c.login_window_ms) / (60 * 1000)
      << " CHAT_ROOM_CREATE_BURST=" << c.room_create_burst
      << " CHAT_ROOM_CREATE_RATE=" << c.room_create_rate
      << " CHAT_ROOMS_PER_USER=" << c.rooms_per_user << " CHAT_JOIN_BURST=" << c.membership_burst
      << " CHAT_JOIN_RATE=" << c.membership_rate
      << " CHAT_PUSH_SOCKET=" << (c.push_socket.empty() ? "(off)" : c.push_socket)
      << " CHAT_PRUNE_INTERVAL_SECONDS=" << c.prune_interval_s
      << " CHAT_PRUNE_BATCH=" << c.prune_batch << " CHAT_FILES_DIR=" << c.files_dir
      << " CHAT_FILE_MAX_MB=" << static_cast<double>(c.file_max_bytes) / (1024 * 1024)
      << " CHAT_FILE_USER_QUOTA_MB=" << static_cast<double>(c.file_user_quota) / (1024 * 1024)
      << " CHAT_FILE_TOTAL_QUOTA_MB=" << static_cast<double>(c.file_total_quota) / (1024 * 1024)
      << " CHAT_UPLOAD_BURST=" << c.upload_burst
      << " CHAT_UPLOADS_PER_MINUTE=" << c.upload_per_minute
      << " CHAT_FILE_UNPOSTED_MINUTES=" << static_cast<double>(c.file_unposted_ms) / (60 * 1000)
      << " CHAT_IMAGE_MAX_PIXELS=" << c.image_max_pixels
      << " CHAT_IMAGE_DECODE_SECONDS=" << c.image_decode_seconds;
  return out.str();
}

}  // namespace chat
