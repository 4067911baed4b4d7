"""The server-rendered web UI: login, chat with streamed answers, the admin console."""
