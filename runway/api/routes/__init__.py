"""The API's routes: ``ops`` (health, readiness, QBO webhooks), ``reads`` (Pattern 1, and the live cash
position), ``actions`` (Pattern 2 writes and sync requests)."""
