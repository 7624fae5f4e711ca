"""Access to the product through the HTTP API: advisors, API tokens, tenancy, idempotent requests.

``AccessService`` authenticates a bearer token and is the one place that decides whether an advisor may
see a business (``business_for``); ``AdvisorAdminService`` creates advisors and tokens;
``IdempotencyService`` remembers the first answer to a request carrying an idempotency key;
``OperationsService`` queues sync requests, verifies QBO webhooks and answers readiness checks.

Every operation here reaches the local database only, never QuickBooks: the ones that only read are
``@local_read``; the ones that write bookkeeping rows there (advisors, token digests and their last use,
idempotency keys, queued sync requests) are ``@local_write``. None of them writes the mirror of
QuickBooks data, and none of them reads QuickBooks.
"""
