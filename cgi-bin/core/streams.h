// Event streams and the rights they were opened under (issue 11).
//
// A room's event stream (GET /api/rooms/{id}/events) is held by nginx's
// nchan module, not by a worker, so nothing in a worker sees it end. Each
// stream is therefore subscribed to two channels: the room's, which every
// doorbell rings, and one of its own, named after the room and the session
// that opened it ("stream_{room}_{key}", the key being the first half of the
// session's token hash in hex, never the cookie). Whatever ends a session
// or a membership deletes the own channels it ended, and nchan closes those
// streams at once; the EventSource's reconnect is then refused by the
// workers like any request. This is nchan's own answer to the question
// (https://github.com/slact/nchan/issues/298: a per-user channel multiplexed
// beside the shared one, deleted to revoke).
//
// Two steps, because the rows that name the streams may be gone after the
// commit (a logout deletes its session) and a DELETE sent before the commit
// would let a reconnect in between be authorised under the old rights:
// StreamsToRevoke inside the write transaction, before it changes anything;
// RevokeStreams after the commit. Every route that ends rights calls both:
// logout, password change, leave, join (of another room), chatctl user
// reset-password / disable / delete, and the owner removing a member.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "db.h"

namespace chat {

using TokenHash = std::array<unsigned char, 32>;

// One stream's own channel.
struct StreamId {
  int64_t user_id = 0;
  int64_t room_id = 0;  // 0 for a person stream
  std::string key;      // 32 lowercase hex digits
  bool person = false;  // the person's own stream (GET /api/me/events), not a room's
};

// The key of the streams a session opens.
std::string StreamKey(const TokenHash& session);
// Where the workers send a member's subscription (X-Accel-Redirect to the
// internal nchan location of conf/push-events.conf.in).
std::string SubscribePath(int64_t room_id, const TokenHash& session);
// The same for a person's own stream (GET /api/me/events, issue 14): its
// channels are the person's ("person_{user}", rung by core/attention.h
// RingPeople) and the stream's own ("pstream_{user}_{key}").
std::string PersonSubscribePath(int64_t user_id, const TokenHash& session);
// The publisher path that closes a stream ("/streams/{room}/{key}", or
// "/pstreams/{user}/{key}" for a person stream).
std::string StreamPublisherPath(const StreamId& stream);

// Which of a user's streams a revocation ends. Made by the three functions
// below it.
struct StreamScope {
  int64_t user_id = 0;
  // The room whose streams end; nullopt: the room the user is in now (read
  // inside the caller's transaction). A user's streams on any other room
  // were closed when they left it.
  std::optional<int64_t> room_id;
  enum Sessions { kAll, kOnly, kAllBut } sessions = kAll;
  const TokenHash* session = nullptr;  // for kOnly and kAllBut
};
// Every session's streams on `room` (nullopt: the current room): leaving,
// moving to another room, being removed; disabling, deleting, resetting.
StreamScope AllStreams(int64_t user_id, std::optional<int64_t> room = std::nullopt);
// This session's stream (logout).
StreamScope SessionStreams(int64_t user_id, const TokenHash& session);
// Every other session's streams (a password change keeps its own session).
StreamScope OtherSessionsStreams(int64_t user_id, const TokenHash& session);

// The room the user is in now (users.room_id), read in the caller's transaction.
std::optional<int64_t> CurrentRoom(Db& db, int64_t user_id);

// Inside the revoking write transaction, before it changes anything: the
// streams the revocation ends: the room streams (none when the user is in
// no room) and, when the scope names no room (the session ends: logout,
// password change, reset, disable, delete), the sessions' person streams.
std::vector<StreamId> StreamsToRevoke(Db& db, const StreamScope& scope);

// After the commit: closes those streams (one DELETE each at the publisher,
// bounded and fire-and-forget like the doorbell; nothing when push is off),
// and once more a second later unless the rights came back meanwhile
// (streams.cc).
void RevokeStreams(const Config& config, const char* program, const std::vector<StreamId>& streams);

}  // namespace chat
