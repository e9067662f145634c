// The stream channels' names, and which streams a revocation ends (streams.h).
#include "streams.h"

#include <sodium.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "doorbell.h"

namespace chat {
namespace {

// A stream authorised just before a revocation committed can reach nchan
// just after the revocation's DELETE: the worker's check read the old rows,
// and nginx subscribes the stream when that reply arrives. Each DELETE is
// therefore sent again kRepeat later, which finds any such stream (nginx
// subscribes within milliseconds of the reply), unless the rights have come
// back meanwhile (the session is live, not disabled, and in that room
// again): then a stream on that channel may well be a new, rightful one.
constexpr std::chrono::milliseconds kRepeat{1000};

// True when the stream's session is live and its user in the stream's room
// (a person stream: the session is live and the account enabled).
bool RightsBack(Db& db, const StreamId& s) {
  if (s.person) {
    auto q = db.Prepare(
        "SELECT 1 FROM users u JOIN sessions s ON s.user_id = u.id "
        "WHERE u.id = ?1 AND u.disabled_at IS NULL "
        "AND lower(hex(substr(s.token_hash, 1, 16))) = ?2");
    return q.Bind(1, s.user_id).Bind(2, s.key).Step();
  }
  auto q = db.Prepare(
      "SELECT 1 FROM users u JOIN sessions s ON s.user_id = u.id "
      "WHERE u.id = ?1 AND u.room_id = ?2 AND u.disabled_at IS NULL "
      "AND lower(hex(substr(s.token_hash, 1, 16))) = ?3");
  return q.Bind(1, s.user_id).Bind(2, s.room_id).Bind(3, s.key).Step();
}

class Repeater {
 public:
  explicit Repeater(const Config& config) : config_(config) {}
  ~Repeater() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // A process exiting (chatctl) would otherwise close the DELETEs nginx
    // has not read yet, and nginx drops those (doorbell.cc).
    FinishDoorbells();
  }

  void Add(const char* program, const StreamId& stream) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({Clock::now() + kRepeat, program, stream});
    if (!thread_.joinable()) thread_ = std::thread(&Repeater::Run, this);
    wake_.notify_all();
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Item {
    Clock::time_point due;
    const char* program;
    StreamId stream;
  };

  // Sends each repeat when it falls due (the queue is in order of due time:
  // every item waits the same kRepeat).
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (queue_.empty()) {
        if (stopping_) return;
        wake_.wait(lock);
        continue;
      }
      Clock::time_point due = queue_.front().due;
      if (Clock::now() < due) {
        wake_.wait_until(lock, due);  // also when stopping: repeats are never dropped
        continue;
      }
      Item next = std::move(queue_.front());
      queue_.erase(queue_.begin());
      lock.unlock();
      Repeat(next);
      lock.lock();
    }
  }

  void Repeat(const Item& item) {
    try {
      if (!db_) db_ = Db::Open(config_);  // this thread's own connection
      if (RightsBack(*db_, item.stream)) return;
    } catch (const std::exception&) {
      // Unsure whether the rights came back: close the stream; a rightful
      // one reconnects at once.
    }
    DeleteChannel(config_, item.program, StreamPublisherPath(item.stream));
  }

  const Config config_;
  std::unique_ptr<Db> db_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

std::string StreamKey(const TokenHash& session) {
  // Half the hash (128 bits) names a session uniquely enough, and keeps the
  // channel id short; the hex of a hash tells nothing about the cookie.
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, session.data(), 16);
  return hex;
}

std::string SubscribePath(int64_t room_id, const TokenHash& session) {
  return "/_push/subscribe/" + std::to_string(room_id) + "/" + StreamKey(session);
}

std::string PersonSubscribePath(int64_t user_id, const TokenHash& session) {
  return "/_push/person/" + std::to_string(user_id) + "/" + StreamKey(session);
}

std::string StreamPublisherPath(const StreamId& stream) {
  if (stream.person) return "/pstreams/" + std::to_string(stream.user_id) + "/" + stream.key;
  return "/streams/" + std::to_string(stream.room_id) + "/" + stream.key;
}

StreamScope AllStreams(int64_t user_id, std::optional<int64_t> room) {
  StreamScope s;
  s.user_id = user_id;
  s.room_id = room;
  return s;
}

StreamScope SessionStreams(int64_t user_id, const TokenHash& session) {
  StreamScope s = AllStreams(user_id);
  s.sessions = StreamScope::kOnly;
  s.session = &session;
  return s;
}

StreamScope OtherSessionsStreams(int64_t user_id, const TokenHash& session) {
  StreamScope s = AllStreams(user_id);
  s.sessions = StreamScope::kAllBut;
  s.session = &session;
  return s;
}

std::optional<int64_t> CurrentRoom(Db& db, int64_t user_id) {
  auto q = db.Prepare("SELECT room_id FROM users WHERE id = ?1");
  if (!q.Bind(1, user_id).Step() || q.IsNull(0)) return std::nullopt;
  return q.Int(0);
}

std::vector<StreamId> StreamsToRevoke(Db& db, const StreamScope& scope) {
  std::vector<StreamId> out;
  std::optional<int64_t> room = scope.room_id ? scope.room_id : CurrentRoom(db, scope.user_id);
  // A scope without a room ends sessions: their person streams end too.
  const bool persons = !scope.room_id;
  if (scope.sessions == StreamScope::kOnly) {
    std::string key = StreamKey(*scope.session);
    if (room) out.push_back({scope.user_id, *room, key});
    if (persons) out.push_back({scope.user_id, 0, key, true});
    return out;
  }
  if (!room && !persons) return out;
  // StreamKey in SQL: the first 16 bytes of the hash, in lowercase hex.
  auto q = db.Prepare(
      "SELECT lower(hex(substr(token_hash, 1, 16))) FROM sessions "
      "WHERE user_id = ?1 AND token_hash IS NOT ?2");
  q.Bind(1, scope.user_id);
  if (scope.sessions == StreamScope::kAllBut) {
    q.BindBlob(2, scope.session->data(), static_cast<int>(scope.session->size()));
  }  // else ?2 stays NULL, and "IS NOT NULL" holds for every row
  while (q.Step()) {
    if (room) out.push_back({scope.user_id, *room, q.Text(0)});
    if (persons) out.push_back({scope.user_id, 0, q.Text(0), true});
  }
  return out;
}

void RevokeStreams(const Config& config, const char* program,
                   const std::vector<StreamId>& streams) {
  if (config.push_socket.empty() || streams.empty()) return;
  static Repeater repeater(config);  // a process has one Config
  for (const StreamId& s : streams) {
    DeleteChannel(config, program, StreamPublisherPath(s));
    repeater.Add(program, s);
  }
}

}  // namespace chat
