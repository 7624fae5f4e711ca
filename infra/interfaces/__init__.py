"""What the domains and runway may use from infra: ports (``ports``, ``access``), plain records
(``records``, and the API's in ``access``), exceptions (``errors``) and the data-flow markers (``patterns``).

Everything else under ``infra`` is implementation that only infra itself and the composition root
(``runway.bootstrap``) may import. ``.importlinter`` enforces this (domains-infra-interfaces-only,
runway-infra-only-in-bootstrap).
"""
