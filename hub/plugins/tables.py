"""Value tables: what a source's words mean in the canonical model, kept as YAML data.

One format (``mappings/table.schema.json``), one loader, one error. The built-in connectors' tables live
in ``mappings/<source>/`` (:data:`MAPPINGS_DIR`); a third-party package ships its tables inside the
package and loads them the same way::

    SERVICE_LEVELS = load_table("hub_connector_example", "service_levels")   # a package's service_levels.yaml
    ADDRESS = load_table(MAPPINGS_DIR / "common", "address_words")             # a folder's address_words.yaml

A table is checked when it is loaded: a malformed file raises :class:`TableError` naming the file, the
line and what is wrong, so a bad edit fails the connector's import (reported by ``hub connectors``)
instead of mapping orders with half a table. An owner may patch a table per installation (a JSON merge
patch, RFC 7396, under ``overrides.tables.<table name>``); :meth:`Table.patched` merges it and checks
the result against the same schema.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Resource

from hub.canonical.validation import registry as canonical_registry
from hub.paths import MAPPINGS_DIR

if TYPE_CHECKING:  # values.py imports spec.py, which names Table in ConnectorSpec: at run time a cycle
    from hub.plugins.values import MappingContext

__all__ = ["MAPPINGS_DIR", "TABLE_SCHEMA", "Table", "TableError", "load_table", "merge_patch", "parse_table"]

TABLE_SCHEMA = MAPPINGS_DIR / "table.schema.json"
#: Patched copies kept per table: one per installation that patches it; a hub with more such
#: installations than this merges and checks a patch again now and then, which is only slower.
MAX_PATCHED = 256
Path_ = tuple[str | int, ...]


class TableError(ValueError):
    """A value table (or an owner's patch of one) is malformed: names the file, the line and the problem."""

    def __init__(self, source: str, problem: str, *, line: int | None = None, path: Path_ = ()) -> None:
        self.source, self.problem, self.line, self.path = source, problem, line, tuple(path)
        where = f"{source}:{line}" if line else source
        at = f" at {dotted(self.path)}" if self.path else ""
        super().__init__(f"{where}{at}: {problem}")


def dotted(path: Path_) -> str:
    """``("codes", "courier express")`` → ``codes.courier express``; list indexes as ``[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(TABLE_SCHEMA.read_text(encoding="utf-8"))
    registry = canonical_registry().with_resource(schema["$id"], Resource.from_contents(schema))
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(data: Any) -> list[tuple[Path_, str]]:
    """Every place ``data`` breaks the table schema, as (path, message), most specific first."""
    found: list[tuple[Path_, str]] = []

    def leaves(error: ValidationError) -> Iterator[ValidationError]:
        # anyOf/if-then wrap the real reason; the deepest branch says what the author got wrong.
        if error.context:
            deepest = max(len(e.absolute_path) for e in error.context)
            for sub in error.context:
                if len(sub.absolute_path) == deepest:
                    yield from leaves(sub)
        else:
            yield error

    for error in sorted(_validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        for leaf in leaves(error):
            item = (tuple(leaf.absolute_path), leaf.message)
            if item not in found:
                found.append(item)
    return found


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    """The 1-based line where every key or item starts, so errors point into the file."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _lines(value, path + (key.value,), out)
            out[path + (key.value,)] = key.start_mark.line + 1  # the key's line, even when its value starts below
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, path + (index,), out)


@dataclass(frozen=True)
class Table:
    """A checked value table. ``name`` is ``<folder or package>/<file stem>`` (``shopify/service_levels``),
    the key an owner's patch goes under; ``data`` the table as loaded (do not mutate it)."""

    name: str
    source: str
    data: Mapping[str, Any]
    lines: Mapping[Path_, int] = field(default_factory=dict, repr=False, compare=False)
    patch: Mapping[str, Any] | None = None
    _patched: dict[str, Table] = field(default_factory=dict, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def error(self, path: Path_, problem: str) -> TableError:
        """A :class:`TableError` at ``path`` of this table, for checks the schema cannot express
        (a connector's own vocabulary, a template's fields)."""
        line = next((self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), None)
        return TableError(self.source, problem, line=line, path=path)

    def patched(self, patch: Mapping[str, Any] | None) -> Table:
        """This table with an owner's merge patch applied and checked; itself when there is no patch."""
        if not patch:
            return self
        if not isinstance(patch, Mapping):
            raise TableError(f"override of {self.name}", "a table override must be an object")
        key = json.dumps(patch, sort_keys=True, default=str)
        if key not in self._patched:  # ingest asks for the same patch on every order: merge and check it once
            merged = merge_patch(self.data, patch)
            problems = schema_errors(merged)
            if problems:
                path, message = problems[0]
                raise TableError(f"override of {self.name}", message, path=path)
            if len(self._patched) >= MAX_PATCHED:
                self._patched.clear()
            self._patched[key] = Table(self.name, f"{self.source} + installation override", merged, self.lines, patch)
        return self._patched[key]

    def in_context(self, ctx: MappingContext) -> Table:
        """The table as this installation sees it: patched with ``ctx.value_tables[self.name]``, if any."""
        return self.patched(ctx.value_tables.get(self.name))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge key by key, ``null`` removes a key, anything else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def parse_table(text: str, *, name: str, source: str) -> Table:
    """Parse and check one table's YAML text; ``source`` names the file in errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise TableError(source, f"not valid YAML: {exc.problem or exc.context}",
                         line=mark.line + 1 if mark else None) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines)
    table = Table(name=name, source=source, data=data if isinstance(data, dict) else {}, lines=lines)
    if not isinstance(data, dict):
        raise table.error((), "a table is a mapping with at least `kind` and `description`")
    problems = schema_errors(data)
    if problems:
        path, message = problems[0]
        raise table.error(path, message)
    if data["kind"] == "values" and "allowed" in data:
        for key, value in data["values"].items():
            if value not in data["allowed"]:
                raise table.error(("values", key), f"{value!r} is not one of the allowed values {data['allowed']}")
    return table


@cache
def load_table(where: str | Path, name: str) -> Table:
    """Load ``<name>.yaml`` from a package (``"hub_connector_example"``, read with importlib.resources, so
    it works installed or not) or from a folder (a :class:`~pathlib.Path`, e.g. ``MAPPINGS_DIR / "shopify"``)."""
    if isinstance(where, Path):
        file = where / f"{name}.yaml"
        owner, source = where.name, _shown(file)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise TableError(source, f"cannot read the table: {exc.strerror}") from None
    else:
        resource = resources.files(where).joinpath(f"{name}.yaml")
        owner, source = where.rpartition(".")[2], f"{where.replace('.', '/')}/{name}.yaml"
        try:
            text = resource.read_text(encoding="utf-8")
        except OSError as exc:
            raise TableError(source, f"cannot read the table: {exc.strerror}") from None
    return parse_table(text, name=f"{owner}/{name}", source=source)


def _shown(file: Path) -> str:
    """A path relative to the repository when it is inside it: short, and the same on every machine."""
    try:
        return str(file.resolve().relative_to(MAPPINGS_DIR.parent))
    except ValueError:
        return str(file)
