"""The demo's simulator page: the local platform's chats as people would see them, driven in a
browser through the local platform's own HTTP API (the same core paths as curl)."""
