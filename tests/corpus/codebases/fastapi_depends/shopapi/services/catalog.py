"""The catalogue: async module-level functions, as many FastAPI codebases write their services."""

from __future__ import annotations

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession


async def list_products(db: AsyncSession) -> list[str]:
    rows = await db.execute(select(text("name")).select_from(text("products")))
    return [name for (name,) in rows]


async def refresh_catalogue(db: AsyncSession, client: httpx.AsyncClient) -> int:
    response = await client.get("https://supplier.example/catalogue")  # planted-violation
    names = response.json()
    for name in names:
        await db.execute(text("INSERT INTO products (name) VALUES (:n)"), {"n": name})
    await db.commit()
    return len(names)
