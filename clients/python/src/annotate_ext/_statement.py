"""One call of an `annotate.*` SQL function, rendered for each driver's placeholder style."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

if TYPE_CHECKING:
    from sqlalchemy import TextClause

T = TypeVar("T")
Row = dict[str, Any]


@dataclass(frozen=True)
class Statement:
    """`annotate.<function>(name => value, ...)` with every argument cast to its SQL type.

    Arguments are passed by name so that the text documents itself, and cast so that drivers
    which prepare statements (asyncpg) know each parameter's type. `returns` says how the
    result is read: `rows` for set-returning functions, `value` for a scalar, and `json` for a
    jsonb scalar, fetched as text so that every driver hands over the same JSON document.
    """

    function: str
    args: Mapping[str, str] = field(default_factory=dict)
    returns: Literal["rows", "value", "json"] = "value"

    def render(self, placeholder: Callable[[str], str]) -> str:
        args = ", ".join(
            f'"{name}" => CAST({placeholder(name)} AS {type_})' for name, type_ in self.args.items()
        )
        call = f"annotate.{self.function}({args})"
        if self.returns == "rows":
            return f"SELECT * FROM {call}"
        if self.returns == "json":
            return f"SELECT CAST({call} AS text) AS value"
        return f"SELECT {call} AS value"

    @cached_property
    def psycopg(self) -> str:
        return self.render(lambda name: f"%({name})s")

    @cached_property
    def sqlalchemy(self) -> "TextClause":
        from sqlalchemy import text

        return text(self.render(lambda name: f":{name}"))


@dataclass(frozen=True)
class Query(Generic[T]):
    """A statement, its arguments, and how its rows become the Python result."""

    statement: Statement
    params: Mapping[str, Any]
    read: Callable[[list[Row]], T]


def value(rows: list[Row]) -> Any:
    return rows[0]["value"]
