// rooms: the room list, creating and deleting rooms, joining and leaving,
// and the people of a room (members, bans, direct rooms, invites). This file
// is the route table: what each route needs (checked by core/http.h before
// the handler runs) and which handler answers it. The handlers are in
// cgi-bin/rooms/, one file per concern (rooms/handlers.h lists them).
#include <vector>

#include "core/http.h"
#include "rooms/handlers.h"

namespace chat {
namespace {

const std::vector<Route> kRoutes = {
    {"GET", "/api/rooms", kNeedsSession | kBackground, HandleListRooms},
    {"POST", "/api/rooms", kNeedsSession | kNeedsJsonBody, HandleCreateRoom},
    {"GET", "/api/rooms/{id}", kNeedsSession, HandleGetRoom},
    {"PATCH", "/api/rooms/{id}", kNeedsSession | kNeedsJsonBody, HandleUpdateRoom},
    {"DELETE", "/api/rooms/{id}", kNeedsSession, HandleDeleteRoom},
    {"POST", "/api/rooms/{id}/join", kNeedsSession, HandleJoinRoom},
    {"POST", "/api/rooms/{id}/leave", kNeedsSession, HandleLeaveRoom},
    {"GET", "/api/rooms/{id}/members", kNeedsSession, HandleListMembers},
    {"POST", "/api/rooms/{id}/members", kNeedsSession | kNeedsJsonBody, HandleAddMember},
    {"DELETE", "/api/rooms/{id}/members/{user}", kNeedsSession, HandleRemoveMember},
    {"POST", "/api/direct", kNeedsSession | kNeedsJsonBody, HandleOpenDirect},
    {"POST", "/api/rooms/{id}/invites", kNeedsSession, HandleCreateInvite},
    {"POST", "/api/invites/accept", kNeedsSession | kNeedsJsonBody, HandleAcceptInvite},
    {"GET", "/api/rooms/{id}/export", kNeedsSession | kNeedsMembership, HandleExport},
    {"POST", "/api/rooms/{id}/read", kNeedsSession | kNeedsJsonBody, HandleReadMark},
    {"POST", "/api/rooms/{id}/typing", kNeedsSession | kNeedsMembership, HandleTyping},
};

}  // namespace
}  // namespace chat

int main() { return chat::Serve("rooms", chat::kRoutes); }
