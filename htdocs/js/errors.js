/* errors.js — the API's error codes in plain words for people. The server's
   own "message" is written for developers; what a user reads next to a form
   comes from here so that the wording stays friendly and consistent. */

const WORDS = {
  invalid_username: 'Usernames are 3 to 32 characters: letters, digits, dots, dashes or underscores.',
  invalid_password: 'That password is too short. Use at least 8 characters.',
  username_taken: 'That username is already taken. Pick another one, or log in if it is yours.',
  invalid_credentials: 'Wrong username or password.',
  wrong_password: 'That is not your current password.',
  rate_limited: 'Too many tries. Wait a moment and try again.',
  invalid_room_name: 'Room names are 1 to 64 characters, without control characters.',
  room_name_taken: 'A room with that name already exists. Pick another name.',
  not_owner: 'Only the owner of a room can do that.',
  invalid_room_kind: 'A room is open or private.',
  invalid_topic: 'A topic is at most 250 characters, without control characters.',
  invalid_retention: 'Keep messages for 1 to 3650 days, or forever.',
  user_not_found: 'Nobody has that username.',
  not_admin: 'Only an admin can do that.',
  account_disabled: 'This account has been disabled by an administrator.',
  own_account: 'You cannot disable your own account.',
  already_member: 'That person is already a member.',
  member_not_found: 'That person is not a member any more.',
  owner_stays: 'The owner cannot leave their own room; delete it instead.',
  room_not_private: 'Only a private room has members to add or remove.',
  banned: 'You may not enter this room: its owner put you out.',
  room_not_found: 'That room no longer exists.',
  not_found: 'That room no longer exists.',
  room_deleted: 'That room was deleted by its owner.',
  invalid_text: 'Messages are 1 to 4000 characters.',
  not_author: 'Only its author can edit a message.',
  not_allowed: 'Only its author or the owner of the room can delete a message.',
  message_not_found: 'That message was deleted.',
  invalid_emoji: 'That is not a single emoji.',
  reaction_limit: 'This message has 20 different reactions already: add one of them.',
  invalid_reply_to: 'The message you were replying to was deleted.',
  invalid_attachment: 'A file could not go with the message (it was removed, or waited over an hour). Attach it again.',
  file_too_large: 'That file is too large to share here.',
  unsupported_file: 'That file cannot be shared here.',
  quota_exceeded: 'The storage for files is full.',
  network_error: 'Cannot reach the server. Check your connection and try again.',
  server_error: 'The server had a problem. Try again in a moment.',
};

/** A sentence for a person, for any ApiError (or other Error). */
export function plainWords(error) {
  if (error && WORDS[error.code]) return WORDS[error.code];
  if (error && error.status >= 500) return WORDS.server_error;
  return 'Something went wrong. Try again.';
}
