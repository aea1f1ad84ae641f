"""A real `alembic revision --autogenerate` against a database with annotate_ext.

The app's models are its tables reflected from a database that has the app's schema and no
extension. With the filter, autogenerate proposes nothing about annotate_ext's objects; without
it (the control), it proposes dropping them, so the test can fail."""

import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData, create_engine
from sqlalchemy.exc import SAWarning

from testsupport import APP_SCHEMA, conninfo, sqlalchemy_url

ENV_PY = """\
from alembic import context

from annotate_ext.alembic import ExtensionObjects, include_object_for

connection = context.config.attributes["connection"]
hooks = {}
if context.config.attributes["filter"] == "include_object":
    hooks = {"include_object": include_object_for(connection)}
elif context.config.attributes["filter"] == "include_name and include_object":
    annotate = ExtensionObjects.read(connection)
    hooks = {"include_name": annotate.include_name, "include_object": annotate.include_object}
context.configure(
    connection=connection,
    target_metadata=context.config.attributes["target_metadata"],
    include_schemas=True,
    **hooks,
)
with context.begin_transaction():
    context.run_migrations()
"""

# An app index whose name merely looks like the extension's: the filter must not hide it.
APP_INDEX = "annotate_app_lookup"


@pytest.fixture(scope="module")
def app_metadata() -> Iterator[MetaData]:
    name = f"annotate_client_models_{os.getpid()}"
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(conninfo(name), autocommit=True) as conn:
            conn.execute(APP_SCHEMA.read_text())
        engine = create_engine(sqlalchemy_url("psycopg", name))
        metadata = MetaData()
        metadata.reflect(engine)
        engine.dispose()
        yield metadata
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def connection(database: str, admin: psycopg.Connection[Any]) -> Iterator[Connection]:
    admin.execute(f"CREATE INDEX {APP_INDEX} ON public.urls (name)")
    engine = create_engine(sqlalchemy_url("psycopg", database))
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()
        admin.execute(f"DROP INDEX public.{APP_INDEX}")


def extension_objects(admin: psycopg.Connection[Any]) -> tuple[set[str], set[str]]:
    """annotate_ext's indexes on the app's tables and its own tables, by the catalog: the
    oracle for the control run."""
    rows = admin.execute(
        """SELECT c.relkind, c.relname FROM pg_depend d
           JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
           JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
           LEFT JOIN pg_index i ON i.indexrelid = c.oid
           LEFT JOIN pg_class t ON t.oid = i.indrelid
           WHERE e.extname = 'annotate_ext' AND d.deptype IN ('e', 'x')
             AND (c.relkind = 'r' OR t.relnamespace = 'public'::regnamespace)"""
    ).fetchall()
    return {name for kind, name in rows if kind == "i"}, {name for kind, name in rows if kind == "r"}


def autogenerate(project: Path, connection: Connection, metadata: MetaData, filter: str | None) -> list[str]:
    """`alembic revision --autogenerate` in a new project; the operations of its upgrade()."""
    config = Config(str(project / "alembic.ini"))
    command.init(config, str(project / "migrations"))
    (project / "migrations" / "env.py").write_text(ENV_PY)
    config.set_main_option("script_location", str(project / "migrations"))
    config.attributes.update(connection=connection, target_metadata=metadata, filter=filter)
    script = command.revision(config, message="models", autogenerate=True)
    source = Path(script.path).read_text()  # type: ignore[union-attr]
    upgrade = source.split("def upgrade()")[1].split("def downgrade()")[0]
    return [line.strip() for line in upgrade.splitlines() if line.strip().startswith("op.")]


def names(ops: list[str], op: str) -> set[str]:
    """The objects named by the operations `op` (`op.drop_index(op.f('name'), ...)` or `('name', ...)`)."""
    return {m.group(1) for line in ops if (m := re.match(rf"op\.{op}\((?:op\.f\()?'([^']+)'", line))}


@pytest.mark.parametrize("filter", ["include_object", "include_name and include_object"])
def test_with_the_filter_nothing_about_the_extension(
    tmp_path: Path,
    connection: Connection,
    app_metadata: MetaData,
    admin: psycopg.Connection[Any],
    filter: str,
) -> None:
    indexes, tables = extension_objects(admin)
    assert indexes and tables  # there is something to filter
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ops = autogenerate(tmp_path, connection, app_metadata, filter)
    # Only the app's own stray index, which its models lack, is proposed.
    assert len(ops) == 1 and names(ops, "drop_index") == {APP_INDEX}
    if filter == "include_name and include_object":
        # The extension's tables were not even reflected (their xid8 columns would warn).
        assert not [w for w in seen if issubclass(w.category, SAWarning)]


# The control reflects the extension's internal tables, whose xid8 columns SQLAlchemy warns about.
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_without_the_filter_it_would_drop_the_extensions_objects(
    tmp_path: Path, connection: Connection, app_metadata: MetaData, admin: psycopg.Connection[Any]
) -> None:
    indexes, tables = extension_objects(admin)
    ops = autogenerate(tmp_path, connection, app_metadata, filter=None)
    assert names(ops, "drop_index") >= indexes | {APP_INDEX}
    assert names(ops, "drop_table") == tables
