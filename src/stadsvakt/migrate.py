"""Alembic, driven from code: upgrade to head and tell whether a database is current."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from stadsvakt import db_statistics
from stadsvakt.settings import Settings


def alembic_config(settings: Settings) -> Config:
    """An Alembic config pointing at the packaged migrations and the configured database."""
    config = Config()
    config.set_main_option("script_location", str(files("stadsvakt") / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.database.url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (head by default)."""
    config = alembic_config(settings)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        # New indexes (and tables) are planned from statistics: gather them now.
        db_statistics.refresh_on(connection)


def head_revisions(settings: Settings) -> tuple[str, ...]:
    """The head revision(s) of the packaged migrations."""
    return tuple(ScriptDirectory.from_config(alembic_config(settings)).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revision(s) the database is at."""
    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def is_current(settings: Settings, engine: Engine) -> bool:
    """Whether the database is at the packaged head."""
    return set(current_revisions(engine)) == set(head_revisions(settings))
