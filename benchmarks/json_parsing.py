"""JSON parsing of QBO answers with exact decimals: the standard library against msgspec (a script, not a test).

    uv run python benchmarks/json_parsing.py [--rows 1000] [--repeat 30]

Pages of ``--rows`` objects per entity, as the local sandbox serves them, parsed ``--repeat`` times by
``json.loads(parse_float=Decimal)`` and by ``msgspec.json.Decoder(float_hook=Decimal)``; both must give equal
results (every non-integer number a ``Decimal`` with the digits sent). orjson is not measured: it has no
way to decode numbers as ``Decimal``, so amounts would pass through binary floats.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec  # noqa: E402

from infra.qbo import _json  # noqa: E402

ENTITIES = ("Bill", "Invoice", "BillPayment", "Payment", "Vendor", "Customer", "Account")


def pages(rows: int) -> dict[str, bytes]:
    from qbo_sandbox import SandboxConfig, SandboxState

    state = SandboxState(SandboxConfig(realms=1, seed=3, size=rows * 8))
    realm = state.realm(state.realm_ids[0])
    return {entity: _json.dumps({"QueryResponse": {entity: realm.all_entities(entity, decimal=True)[:rows],
                                                   "startPosition": 1, "maxResults": rows},
                                 "time": "2026-11-20T09:15:02.123-08:00"}) for entity in ENTITIES}


def timed(parse, body: bytes, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        parse(body)
    return (time.perf_counter() - started) / repeat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    decoder = msgspec.json.Decoder(float_hook=Decimal)

    def stdlib(body: bytes):
        return json.loads(body, parse_float=Decimal)

    total_std = total_msgspec = 0.0
    print(f"{'entity':<12} {'bytes':>10} {'stdlib ms':>10} {'msgspec ms':>11} {'speed-up':>9}")
    for entity, body in pages(args.rows).items():
        assert stdlib(body) == decoder.decode(body), entity  # the same values, decimals exact
        std, fast = timed(stdlib, body, args.repeat), timed(decoder.decode, body, args.repeat)
        total_std, total_msgspec = total_std + std, total_msgspec + fast
        print(f"{entity:<12} {len(body):>10,} {std * 1000:>10.2f} {fast * 1000:>11.2f} {std / fast:>8.1f}x")
    print(f"{'all':<12} {'':>10} {total_std * 1000:>10.2f} {total_msgspec * 1000:>11.2f} "
          f"{total_std / total_msgspec:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
