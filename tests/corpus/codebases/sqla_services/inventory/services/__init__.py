"""Services over one SQLAlchemy session each, held by a common base class."""
