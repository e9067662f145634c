// The rooms program's handlers, one file per concern in cgi-bin/rooms/,
// and the few helpers those files share. cgi-bin/rooms.cpp keeps the route
// table that ties each route to its handler and to what it needs
// (core/http.h checks that before the handler runs). Each handler's comment
// (route, who may call it, reply, errors) stays above its definition.
#pragma once

#include <cstdint>

#include "core/http.h"
#include "core/rooms.h"

namespace chat {

// room.cc: the room list and one room's life (create, read, change, delete).
Response HandleListRooms(Context& ctx);
Response HandleCreateRoom(Context& ctx);
Response HandleGetRoom(Context& ctx);
Response HandleUpdateRoom(Context& ctx);
Response HandleDeleteRoom(Context& ctx);

// presence.cc: who is inside a room now (join, leave, the members event)
// and who is typing there.
Response HandleJoinRoom(Context& ctx);
Response HandleLeaveRoom(Context& ctx);
Response HandleTyping(Context& ctx);

// members.cc: a private room's members, an open room's bans, hiding a
// direct room.
Response HandleListMembers(Context& ctx);
Response HandleAddMember(Context& ctx);
Response HandleRemoveMember(Context& ctx);

// direct.cc: the one direct room of two people.
Response HandleOpenDirect(Context& ctx);

// invites.cc: a private room's invite links.
Response HandleCreateInvite(Context& ctx);
Response HandleAcceptInvite(Context& ctx);

// export.cc: a room's whole history as a download.
Response HandleExport(Context& ctx);

// read_mark.cc: the caller's read mark in a room.
Response HandleReadMark(Context& ctx);

// Shared by the files above (defined in the file named).

// room.cc: 200/201 {"room": RoomJson(room)}.
Response RoomReply(int status, const Room& room);

// room.cc: 403 direct_room. A direct room belongs to both its people
// alike: nobody renames, deletes or manages its members.
ApiError DirectRoomError();

// members.cc: true when the owner of open room `room_id` banned `user_id`.
bool IsBanned(Db& db, int64_t room_id, int64_t user_id);

// members.cc: the room in the path, live, visible to the caller, private
// (not direct) and owned by the caller, or the error that says which of
// those it is not ("Only the room's owner can <what>.").
Result<Room> OwnedPrivateRoom(Context& ctx, const char* what);

// presence.cc: rings {"type":"members","count"} in room `room_id` (push
// on), at once or coalesced with other changes of the same moment.
void RingMembers(const Context& ctx, int64_t room_id);

}  // namespace chat
