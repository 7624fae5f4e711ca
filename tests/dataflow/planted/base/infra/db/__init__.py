"""The planted project's local store (a local package, empty: nothing here is reached)."""
