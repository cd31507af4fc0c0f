"""The security core: tokens, sessions, audit. No module here reads the request."""
