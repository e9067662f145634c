// The doorbell: after a write commits, tell nginx's nchan module that a room
// has news, so the pages subscribed to it poll at once instead of at their
// next 2-second tick. It carries no data (SQLite stays the one source of
// truth; the page fetches with its usual `after=cursor` poll), so a lost ring
// costs only latency. Hence it is fire-and-forget: a plain HTTP/1.1 POST to
// the publisher's unix socket (Config::push_socket, set by conf/run.sh only
// when nchan is loaded), on a connection each thread keeps (doorbell.cc),
// never waiting for the reply, with every step bounded by a few
// milliseconds, and no failure is ever reported to the caller. A connection
// with rings nginx has not answered yet is never closed before it answers
// (or 10 s pass): nginx drops a request whose client closed before nginx
// read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"

namespace chat {

// Publishes `event` (a small JSON object) to room `room_id`'s channel.
// Does nothing when push is not configured. Never throws; a failure is
// logged to stderr under `program` and otherwise ignored.
void RingDoorbell(const Config& config, const char* program, int64_t room_id,
                  const std::string& event);

// Deletes the publisher channel at `path` ("/streams/{room}/{stream}",
// conf/push-publisher.conf.in): nchan closes every stream subscribed to it.
// Does nothing when push is not configured; bounded and never throws, like
// RingDoorbell (a "404 no such channel" is no failure: nobody was listening).
void DeleteChannel(const Config& config, const char* program, const std::string& path);

// Publishes {"type":"attention"} to each user's own channel (person_{id},
// the person streams of GET /api/me/events) in one request to the
// publisher ("/people?to=person_1,person_2...", which nchan splits into
// channels: conf/push-publisher.conf.in), so a post that mentions 50 people
// makes one exchange, not 50. Bounded, never throws, like RingDoorbell.
void RingPeopleDoorbells(const Config& config, const char* program,
                         const std::vector<int64_t>& users);

// Waits (at most about 10 s) until nginx has answered every exchange of this
// process still waiting for its answer, so that a process about to exit
// (chatctl, after its revocations) does not close them unread.
void FinishDoorbells();

// The raw HTTP/1.1 requests RingDoorbell and DeleteChannel send (for the unit test).
std::string DoorbellRequest(int64_t room_id, const std::string& event);
std::string DeleteRequest(const std::string& path);
// RingPeopleDoorbells' request for these users (at most 255).
std::string PeopleRequest(const std::vector<int64_t>& users);

}  // namespace chat
