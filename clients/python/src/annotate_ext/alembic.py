"""Keeps Alembic autogenerate away from annotate_ext's objects.

annotate_ext adds indexes (and triggers) of its own to the app's tables and keeps its state
in schemas `annotate` and `annotate_internal`. None of it is in the app's models, so without
a filter `alembic revision --autogenerate` proposes to drop it. In `env.py`:

    from annotate_ext.alembic import include_object_for

    def do_run_migrations(connection):
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=include_object_for(connection),
        )
        with context.begin_transaction():
            context.run_migrations()

With `include_schemas=True`, also skip reflecting the extension's schemas at all:

    annotate = ExtensionObjects.read(connection)
    context.configure(..., include_schemas=True,
                      include_name=annotate.include_name, include_object=annotate.include_object)

Which objects are the extension's is read from the catalog, not guessed from names: the
extension's schemas, and every relation that PostgreSQL records as belonging to annotate_ext
(`pg_depend` rows of type 'e', members, or 'x', `ALTER INDEX ... DEPENDS ON EXTENSION`). An
app index that merely starts with `annotate_` stays the app's. Triggers need no filter:
Alembic does not compare them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]

_EXTENSION_OBJECTS = text("""
WITH ext AS (
    SELECT oid, extnamespace FROM pg_catalog.pg_extension WHERE extname = 'annotate_ext'
), owned AS (
    SELECT d.classid, d.objid
    FROM pg_catalog.pg_depend d JOIN ext ON d.refobjid = ext.oid
    WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype IN ('e', 'x')
)
SELECT 'schema' AS kind, n.nspname AS schema, NULL AS name
FROM pg_catalog.pg_namespace n
WHERE n.oid IN (SELECT extnamespace FROM ext)
   OR n.oid IN (SELECT objid FROM owned WHERE classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass)
UNION ALL
SELECT 'relation', n.nspname, c.relname
FROM owned o
JOIN pg_catalog.pg_class c ON o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = o.objid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
""")


@dataclass(frozen=True)
class ExtensionObjects:
    """What annotate_ext owns in one database: its schemas and its relations (schema, name),
    with both of Alembic's filter hooks."""

    schemas: frozenset[str]
    relations: frozenset[tuple[str, str]]
    default_schema: str

    @classmethod
    def read(cls, connection: Connection) -> "ExtensionObjects":
        rows = connection.execute(_EXTENSION_OBJECTS).all()
        default_schema = connection.execute(text("SELECT pg_catalog.current_schema()")).scalar_one()
        return cls(
            schemas=frozenset(schema for kind, schema, _ in rows if kind == "schema"),
            relations=frozenset((schema, name) for kind, schema, name in rows if kind == "relation"),
            default_schema=default_schema,
        )

    def _owns(self, schema: str | None, name: str | None, type_: str) -> bool:
        schema = schema or self.default_schema
        if schema in self.schemas:
            return True
        # A unique index can be reported as a unique constraint of the same name.
        return type_ in ("table", "index", "unique_constraint") and (schema, name) in self.relations

    def include_name(self, name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
        """Alembic's `include_name` hook: skips the extension's objects before they are
        reflected (with `include_schemas=True`, its schemas are never read)."""
        if type_ == "schema":
            return (name or self.default_schema) not in self.schemas
        return not self._owns(parent_names.get("schema_name"), name, type_)

    def include_object(
        self, obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """Alembic's `include_object` hook: leaves out the extension's tables, indexes, columns
        and constraints."""
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return not self._owns(getattr(table, "schema", None), name, type_)


def include_object_for(connection: Connection) -> IncludeObject:
    """An `include_object` hook for `context.configure` that leaves out annotate_ext's
    objects, as read from `connection`'s database."""
    return ExtensionObjects.read(connection).include_object
