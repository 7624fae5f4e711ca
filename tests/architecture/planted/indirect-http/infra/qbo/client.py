import httpx


class QboClient:
    def __init__(self) -> None:
        self.http = httpx.Client()
