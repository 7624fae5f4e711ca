"""The engine and the session factory (configured by the application at start-up)."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker


class Base(DeclarativeBase):
    pass


def make_session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=create_engine(url))
