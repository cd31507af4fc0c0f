"""The outbox page: queued, failed and dropped mail."""
