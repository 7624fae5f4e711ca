"""Planted: First and Second each name the other as their base (an import cycle Python would refuse)."""

from domains.ar.second import Second


class First(Second):
    def remind(self, business_id: int) -> None:
        return None
