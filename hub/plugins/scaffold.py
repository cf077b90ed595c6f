"""``hub connector new NAME``: write a working connector package to start from.

The skeleton is the smallest connector that is whole: a pyproject with the ``delivery_hub.connectors``
entry point, the spec, a settings schema with a secret, signed webhooks (verify and parse), a pure mapping,
and the contract kit's test with its payloads (settings, one golden case, one recorded webhook signed with
the test secret). Installed with ``pip install -e``, it is listed by ``hub connectors`` and passes the kit
as generated. The files are templates in ``hub/plugins/templates/connector``; ``__NAME__``-style words in
them (and the ``__package__`` folder) are replaced.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from hub.plugins.spec import ID_PATTERN
from hub.version import __version__

__all__ = ["ScaffoldError", "Skeleton", "write_skeleton"]

TEMPLATE_SUFFIX = ".tmpl"


class ScaffoldError(ValueError):
    """The skeleton cannot be written (a bad name, a target that exists); the message says what to do."""


@dataclass(frozen=True)
class Skeleton:
    """The names a connector package is made of, all derived from its id."""

    name: str

    @property
    def package(self) -> str:
        return f"hub_connector_{self.name}"

    @property
    def dist(self) -> str:
        return f"hub-connector-{self.name.replace('_', '-')}"

    @property
    def class_name(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_") if part) or "Connector"

    @property
    def label(self) -> str:
        return " ".join(part.capitalize() for part in self.name.split("_") if part)

    @property
    def secret(self) -> str:
        return f"{self.name}-test-secret-0123456789"

    def words(self) -> dict[str, str]:
        major, minor = __version__.split(".")[:2]
        return {
            "__NAME__": self.name, "__PACKAGE__": self.package, "__DIST__": self.dist, "__CLASS__": self.class_name,
            "__LABEL__": self.label, "__SECRET__": self.secret,
            "__HUB_REQUIREMENT__": f"delivery-hub>={major}.{minor},<{major}.{int(minor) + 1}",
            "__SIGNATURE_HEADER__": f"X-{self.class_name}-Signature", "__TOPIC_HEADER__": f"X-{self.class_name}-Topic",
            "__DELIVERY_HEADER__": f"X-{self.class_name}-Delivery",
        }


def _templates() -> Traversable:
    return resources.files("hub.plugins").joinpath("templates", "connector")


def _walk(folder: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Traversable]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            found += _walk(entry, (*prefix, entry.name))
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            found.append(((*prefix, entry.name[: -len(TEMPLATE_SUFFIX)]), entry))
    return found


def _fill(text: str, words: dict[str, str]) -> str:
    for word, value in words.items():
        text = text.replace(word, value)
    return text


def check_name(name: str) -> None:
    if not ID_PATTERN.match(name):
        raise ScaffoldError(f"{name!r} is not a connector id: one lowercase word of letters, digits and underscores, "
                            f"starting with a letter, at most 40 characters (e.g. acme or acme_orders)")


def write_skeleton(name: str, target: Path) -> list[Path]:
    """Write the package for connector ``name`` into ``target`` (which must not exist); returns the files."""
    check_name(name)
    if target.exists():
        raise ScaffoldError(f"{target} already exists; choose another --dir or remove it first")
    skeleton = Skeleton(name)
    words = skeleton.words()
    rendered: dict[Path, str] = {}
    for parts, template in _walk(_templates()):
        relative = Path(*(skeleton.package if part == "__package__" else part for part in parts))
        rendered[relative] = _fill(template.read_text(encoding="utf-8"), words)
    # The recorded webhook is signed as the generated webhooks.py checks it: hex HMAC-SHA256 of the exact body.
    body = Path("tests", "payloads", "requests", "first_order.body")
    signature = hmac.new(skeleton.secret.encode(), rendered[body].encode("utf-8"), hashlib.sha256).hexdigest()
    headers = body.with_name("first_order.headers.json")
    rendered[headers] = rendered[headers].replace("__SIGNATURE__", signature)
    written = []
    for relative, text in rendered.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
