"""The audit log and its CSV export."""
