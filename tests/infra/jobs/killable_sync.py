"""Sync one business into a SQLite mirror against a running sandbox, then exit (``test_sync_killed`` runs it
in a subprocess and kills it part way).

    python -m tests.infra.jobs.killable_sync --db mirror.db --api-base http://127.0.0.1:PORT/v3 \\
        --token-url http://127.0.0.1:PORT/oauth2/v1/tokens/bearer --realm R --refresh-token T --business 1
"""

from __future__ import annotations

import argparse
import sys

from infra.db.engine import create_engine_for, create_session_factory, sqlite_url
from infra.jobs import SyncConfig, SyncService
from infra.qbo import OAuthTokens, QboClient, QboClientConfig, RealmLimiterRegistry
from tests.fakes.qbo_tokens import InMemoryTokenStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--token-url", required=True)
    parser.add_argument("--client-id", default="sandbox-client-id")
    parser.add_argument("--client-secret", default="sandbox-client-secret")
    parser.add_argument("--realm", required=True)
    parser.add_argument("--refresh-token", required=True)
    parser.add_argument("--business", type=int, required=True)
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    engine = create_engine_for(sqlite_url(args.db))
    config = QboClientConfig(api_base_url=args.api_base, token_url=args.token_url, client_id=args.client_id,
                             client_secret=args.client_secret, backoff_base_seconds=0.01,
                             backoff_max_seconds=0.05)
    tokens = InMemoryTokenStore(OAuthTokens(realm_id=args.realm, refresh_token=args.refresh_token))
    with QboClient(config, tokens, RealmLimiterRegistry.from_config(config)) as client:
        service = SyncService(create_session_factory(engine), client,
                              config=SyncConfig(page_size=args.page_size, page_workers=args.workers))
        result = service.sync_business(args.business)
    print(f"ok={result.ok} upserted={result.upserted} skipped={result.skipped} error={result.error}", flush=True)
    engine.dispose()
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
