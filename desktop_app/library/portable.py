"""SQL that means the same on SQLite and on PostgreSQL, where the two spell it differently.

The library's queries are written once against these helpers; each compiles to its dialect's form:

- `nocase` (sort, group and compare ignoring case): SQLite's ``COLLATE NOCASE``; PostgreSQL has no
  such collation (a nondeterministic ICU collation would refuse LIKE and is not always
  available), so it is ``lower(x) COLLATE "C"`` there: ``lower`` for the case, ``"C"`` so the order
  is by code point as SQLite's NOCASE is, whatever the database's locale. (SQLite's NOCASE folds
  only ASCII letters; ``lower`` folds every letter: "É" and "é" sort together on PostgreSQL.) A
  grouped query must then select an aggregate of the column (PostgreSQL does not pick a "bare"
  column's value as SQLite does): see `browse.sidebar_counts`.
- `nocase_equals`, `contains_nocase`: equality and LIKE ignoring case. SQLite's LIKE ignores ASCII
  case already; PostgreSQL's does not, so it is ILIKE there.
- `contains_nocase_any`: a word in any of several columns, ignoring case. SQLite: one LIKE per
  column, as before. PostgreSQL: ILIKE, which folds case per character through the database's
  locale, cost 190 ms over four columns of 100,000 tracks; there the columns are folded once when
  a row is written, into a stored generated column (`search_fold`, migration 0011, in the "C"
  collation), and one byte-wise LIKE reads it: 35 ms. (SQLite reading the same column, virtual
  there, was slower than its four LIKEs, so it keeps them.)
- `json_number`: one number of a JSON array column (``json_extract`` on SQLite, ``->>`` cast to a
  float on PostgreSQL, where the column is of type ``json``).
- `upsert`: INSERT … ON CONFLICT, whose statement class lives in each dialect's module.
- `id_in`: ``id IN (…)`` for a list too long to send as one parameter each (SQLite caps them):
  one JSON text read with ``json_each`` on SQLite, one array parameter (``= ANY``) on PostgreSQL.

On SQLite every helper compiles to exactly the SQL the library wrote before it had a second back end.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Connection, Float, Integer, String, Table, any_, column, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement, Grouping
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.operators import OperatorType


class _NoCase(FunctionElement[str]):
    inherit_cache = True
    type = String()
    name = "nocase"

    # A function is both a column and a FROM clause; their stubs' self_group signatures disagree.
    def self_group(self, against: OperatorType | None = None) -> ClauseElement:  # type: ignore[override]
        # Parenthesised where ``x COLLATE NOCASE`` is (as the left side of IS NULL), so SQLite's
        # statements stay exactly as they were.
        if against is not None and operators.is_precedent(operators.collate, against):
            return Grouping(self)
        return self


class _NoCaseEquals(FunctionElement[bool]):
    inherit_cache = True
    type = Boolean()
    name = "nocase_equals"
    _is_implicitly_boolean = True  # a comparison: no "= 1" after it where SQLite has no booleans


class _ContainsNoCase(FunctionElement[bool]):
    inherit_cache = True
    type = Boolean()
    name = "contains_nocase"
    _is_implicitly_boolean = True


class _ContainsNoCaseAny(FunctionElement[bool]):
    inherit_cache = True
    type = Boolean()
    name = "contains_nocase_any"
    _is_implicitly_boolean = True


class _SearchFold(FunctionElement[str]):
    inherit_cache = True
    type = String()
    name = "search_fold"


class _JsonNumber(FunctionElement[float]):
    inherit_cache = True
    type = Float()
    name = "json_number"


def nocase(expression: ColumnElement[Any]) -> ColumnElement[str]:
    """``expression`` for sorting and grouping without regard to case (see the module's notes)."""
    return _NoCase(expression)


def nocase_equals(expression: ColumnElement[Any], value: str | None) -> ColumnElement[bool]:
    """``expression`` equals ``value``, ignoring case (never true for None, as ``= NULL``)."""
    return _NoCaseEquals(expression, literal(value, String()))


def contains_nocase(expression: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """``expression`` contains ``text`` (taken literally: ``%`` and ``_`` are not wildcards), ignoring case."""
    return _ContainsNoCase(expression, _pattern(text))


def _pattern(text: str) -> ColumnElement[str]:
    """A LIKE pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return literal(f"%{escaped}%", String())


def contains_nocase_any(
    columns: Sequence[ColumnElement[Any]], folded: ColumnElement[Any], text: str
) -> ColumnElement[bool]:
    """Any of ``columns`` contains ``text`` literally, ignoring case; ``folded`` is their
    `search_fold`, which PostgreSQL reads instead of the columns."""
    return _ContainsNoCaseAny(_pattern(text), folded, *columns)


def search_fold(*names: str) -> ColumnElement[str]:
    """The columns ``names`` of one row, lower-cased and joined by newlines: the expression of a
    generated column `contains_nocase_any` reads on PostgreSQL (a newline, which no search word
    holds, keeps a word from matching across two columns)."""
    return _SearchFold(*(column(name) for name in names))


def json_number(expression: ColumnElement[Any], index: int) -> ColumnElement[float]:
    """Item ``index`` of the JSON array in ``expression``, as a number (NULL when there is none)."""
    # Both forms of the index are bound, so a cached statement never keeps another rule's index;
    # each dialect renders the one it reads.
    return _JsonNumber(expression, literal(f"$[{index}]", String()), literal(int(index), Integer()))


def _args(element: FunctionElement[Any]) -> list[ColumnElement[Any]]:
    return list(element.clauses.clauses)


@compiles(_NoCase, "sqlite")
def _nocase_sqlite(element: _NoCase, compiler: SQLCompiler, **kw: Any) -> str:
    (expression,) = _args(element)
    return compiler.process(expression.collate("NOCASE"), **kw)


@compiles(_NoCase, "postgresql")
def _nocase_postgresql(element: _NoCase, compiler: SQLCompiler, **kw: Any) -> str:
    (expression,) = _args(element)
    return compiler.process(func.lower(expression).collate("C"), **kw)


@compiles(_NoCaseEquals, "sqlite")
def _nocase_equals_sqlite(element: _NoCaseEquals, compiler: SQLCompiler, **kw: Any) -> str:
    expression, value = _args(element)
    return compiler.process(expression.collate("NOCASE") == value, **kw)


@compiles(_NoCaseEquals, "postgresql")
def _nocase_equals_postgresql(element: _NoCaseEquals, compiler: SQLCompiler, **kw: Any) -> str:
    expression, value = _args(element)
    return compiler.process(func.lower(expression) == func.lower(value), **kw)


@compiles(_ContainsNoCase, "sqlite")
def _contains_sqlite(element: _ContainsNoCase, compiler: SQLCompiler, **kw: Any) -> str:
    expression, pattern = _args(element)
    return compiler.process(expression.like(pattern, escape="\\"), **kw)


@compiles(_ContainsNoCase, "postgresql")
def _contains_postgresql(element: _ContainsNoCase, compiler: SQLCompiler, **kw: Any) -> str:
    expression, pattern = _args(element)
    return compiler.process(expression.ilike(pattern, escape="\\"), **kw)


@compiles(_ContainsNoCaseAny, "sqlite")
def _contains_any_sqlite(element: _ContainsNoCaseAny, compiler: SQLCompiler, **kw: Any) -> str:
    pattern, _folded, *columns = _args(element)
    return compiler.process(or_(*(each.like(pattern, escape="\\") for each in columns)).self_group(), **kw)


@compiles(_ContainsNoCaseAny, "postgresql")
def _contains_any_postgresql(element: _ContainsNoCaseAny, compiler: SQLCompiler, **kw: Any) -> str:
    pattern, folded, *_columns = _args(element)
    return compiler.process(folded.like(func.lower(pattern), escape="\\"), **kw)


@compiles(_SearchFold, "sqlite")
def _search_fold_sqlite(element: _SearchFold, compiler: SQLCompiler, **kw: Any) -> str:
    joined = " || char(10) || ".join(_or_empty(column, compiler, **kw) for column in _args(element))
    return f"lower({joined})"


@compiles(_SearchFold, "postgresql")
def _search_fold_postgresql(element: _SearchFold, compiler: SQLCompiler, **kw: Any) -> str:
    # "default": a "C" column (the path) in the text would make lower() fold ASCII letters only.
    joined = " || chr(10) || ".join(_or_empty(column, compiler, **kw) for column in _args(element))
    return f'lower(({joined}) COLLATE "default")'


def _or_empty(expression: ColumnElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return f"coalesce({compiler.process(expression, **kw)}, '')"


@compiles(_JsonNumber, "sqlite")
def _json_number_sqlite(element: _JsonNumber, compiler: SQLCompiler, **kw: Any) -> str:
    expression, path, _index = _args(element)
    return compiler.process(func.json_extract(expression, path), **kw)


@compiles(_JsonNumber, "postgresql")
def _json_number_postgresql(element: _JsonNumber, compiler: SQLCompiler, **kw: Any) -> str:
    expression, _path, index = _args(element)
    item = compiler.process(expression, **kw) + " ->> " + compiler.process(index, **kw)
    return f"CAST(({item}) AS DOUBLE PRECISION)"


def upsert(conn: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    """``INSERT INTO table`` in the connection's dialect, to add ``on_conflict_do_update``/``_nothing``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def id_in(conn: Connection, id_column: ColumnElement[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """``id_column`` is one of ``ids``, however many there are, as one bound parameter."""
    if conn.dialect.name == "postgresql":
        return id_column == any_(literal([int(i) for i in ids], ARRAY(Integer())))
    return id_column.in_(select(column("value")).select_from(func.json_each(json.dumps(list(ids)))))
