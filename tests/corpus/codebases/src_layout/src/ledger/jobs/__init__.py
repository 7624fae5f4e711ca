"""Background jobs (Pattern 3)."""
