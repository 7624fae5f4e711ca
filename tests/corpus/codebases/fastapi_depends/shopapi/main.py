"""The application."""

from __future__ import annotations

from fastapi import FastAPI

from shopapi.routers import orders

app = FastAPI()
app.include_router(orders.router)
