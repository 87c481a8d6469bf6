"""Schema migrations with Alembic, applied whenever a library is opened.

The migration scripts ship inside the package, so an installed app upgrades an older database
without an alembic.ini or a source checkout.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema up to date; costs one query when it already is."""
    config = alembic_config(engine)
    if current_revision(engine) != ScriptDirectory.from_config(config).get_current_head():
        command.upgrade(config, "head")


def upgrade_to(engine: Engine, revision: str) -> None:
    """Upgrade to a given revision (tests use it to build databases of older versions)."""
    command.upgrade(alembic_config(engine), revision)
