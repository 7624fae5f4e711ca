"""What the domains may use from infra: ports, plain records and exceptions.

Everything else under ``infra`` is implementation that only infra itself and the composition root
(``runway.bootstrap``) may import. ``.importlinter`` enforces this.
"""
