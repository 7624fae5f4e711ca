"""A service module with no operation: the contract reads it and finds nothing to check."""

TOKEN_PREFIX = "rw_"
