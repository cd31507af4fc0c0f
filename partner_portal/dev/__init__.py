"""Development-only helpers: the mailbox that stands in for a mail server."""
