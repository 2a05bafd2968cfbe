"""One row and its linked rows read with SQL written once per process, for the reads on
the request path of every API change (building the same query through the ORM on each
request cost a fifth of the request's Python time). The instances are the ORM's own
(`Model.from_db`, the fields' converters, the links cached as `select_related` caches
them); the fields not read are deferred and load if ever used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model


def model_field(model: type[Model], name: str) -> Any:
    return model._meta.get_field(name)


@dataclass(frozen=True)
class Table:
    """A table of the read: `alias` in the SQL, the `fields` read (the first is the primary
    key) and, but for the first table, `via`: the alias of the table that links here and
    the name of its foreign key."""

    alias: str
    model: type[Model]
    fields: tuple[str, ...]
    via: tuple[str, str] | None = None


class RowSelect:
    """`SELECT` the tables' fields joined along their foreign keys `WHERE where` (with `%s`
    parameters), `FOR UPDATE OF` the first table when `lock` (where the database has row
    locks; SQLite has none)."""

    def __init__(self, tables: Sequence[Table], where: str, *, lock: bool = False) -> None:
        self.tables, self.where, self.lock = tuple(tables), where, lock
        self._built: tuple[str, tuple[tuple[Any, ...], ...], tuple[Any, ...]] | None = None

    def _build(self) -> tuple[str, tuple[tuple[Any, ...], ...], tuple[Any, ...]]:
        quote = connection.ops.quote_name
        models = {table.alias: table.model for table in self.tables}
        columns, joins, fields, converters = [], [], [], []
        for table in self.tables:
            resolved = tuple(model_field(table.model, name) for name in table.fields)
            fields.append(resolved)
            for field in resolved:
                expression = field.get_col(table.alias)
                converters.append(
                    (
                        expression,
                        (
                            *connection.ops.get_db_converters(expression),
                            *expression.get_db_converters(connection),
                        ),
                    )
                )
                columns.append(f"{table.alias}.{quote(field.column)}")
            if table.via is None:
                joins.append(f"{quote(table.model._meta.db_table)} {table.alias}")
                continue
            source, name = table.via
            link = model_field(models[source], name)
            kind = "LEFT JOIN" if link.null else "INNER JOIN"
            target = quote(model_field(table.model, table.fields[0]).column)
            joins.append(
                f"{kind} {quote(table.model._meta.db_table)} {table.alias} "
                f"ON {table.alias}.{target} = {source}.{quote(link.column)}"
            )
        # The SQL names only tables and columns from code; every value is a parameter.
        sql = f"SELECT {', '.join(columns)} FROM {' '.join(joins)} WHERE {self.where}"  # noqa: S608
        if self.lock and connection.features.has_select_for_update_of:
            sql += f" FOR UPDATE OF {self.tables[0].alias}"
        return sql, tuple(fields), tuple(converters)

    def fetch(self, params: Sequence[Any]) -> dict[str, Any] | None:
        """The instances by alias (None for a nullable link with nothing at its end), each
        linked to the one that links to it; None when no row matches."""
        if self._built is None:
            self._built = self._build()
        sql, fields, converters = self._built
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for index, (expression, functions) in enumerate(converters):
            for function in functions:
                values[index] = function(values[index], expression, connection)
        built: dict[str, Any] = {}
        start = 0
        for table, resolved in zip(self.tables, fields, strict=True):
            chunk = values[start : start + len(resolved)]
            start += len(resolved)
            instance = (
                None
                if chunk[0] is None
                else table.model.from_db(
                    connection.alias, [field.attname for field in resolved], chunk
                )
            )
            built[table.alias] = instance
            if table.via is not None and built[table.via[0]] is not None:
                source = built[table.via[0]]
                model_field(type(source), table.via[1]).set_cached_value(source, instance)
        return built


_INSERTS: dict[tuple[type[Model], str], tuple[str, tuple[Any, ...]]] = {}


def insert(instance: Model) -> None:
    """Write the new `instance`, as `Model.save` writes a new row, in SQL written once per
    model (compiling the INSERT through the ORM on every change cost as much as sending
    it). No signals are sent: use it only for models none listens to, whose `save` adds
    nothing for a new row (the event of a referral, the audit entry)."""
    meta = type(instance)._meta
    if instance.pk is not None or not connection.features.can_return_columns_from_insert:
        instance.save(force_insert=True)
        return
    key = (type(instance), connection.vendor)
    if key not in _INSERTS:
        quote = connection.ops.quote_name
        fields: tuple[Any, ...] = tuple(
            field for field in meta.concrete_fields if not field.primary_key
        )
        pk: Any = meta.pk
        _INSERTS[key] = (
            # The SQL names only tables and columns from code; every value is a parameter.
            f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(pk.column)}",
            fields,
        )
    sql, fields = _INSERTS[key]
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = connection.alias
