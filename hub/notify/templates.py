"""Message templates: Jinja2, per trigger and language, with a default set shipped here (templates/<language>.yaml:
subject, text and HTML for email, text for SMS) that a tenant overrides part by part in its settings.

Templates run in Jinja2's sandbox (a tenant's template is text an operator typed, never code we trust) and
fail on an unknown variable, so a typo is an error when the template is saved, not a blank in a message.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

TEMPLATES_DIR = Path(__file__).with_name("templates")
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")
PARTS: tuple[str, ...] = ("subject", "text", "html", "sms")
# What every template may use; previews and the save-time check render with these names.
VARIABLES: tuple[str, ...] = ("sender_name", "customer_name", "reference", "tracking_url", "reschedule_url", "window",
                              "eta", "minutes", "unsubscribe_url", "language")

_text = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_html = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


@functools.cache
def defaults(language: str) -> dict[str, Any]:
    if language not in LANGUAGES:
        raise ValueError(f"no messages in {language!r}; languages: {', '.join(LANGUAGES)}")
    return yaml.safe_load((TEMPLATES_DIR / f"{language}.yaml").read_text(encoding="utf-8"))


@functools.cache
def _layout() -> Any:
    return _html.from_string((TEMPLATES_DIR / "layout.html").read_text(encoding="utf-8"))


def _source(trigger: str, language: str, part: str, overrides: dict[str, str]) -> str:
    return overrides.get(part) or defaults(language)[trigger][part]


@functools.lru_cache(maxsize=512)
def _compiled(html: bool, source: str) -> Any:
    """Compiling is most of a render's cost; the shipped templates and a tenant's few overrides repeat."""
    return (_html if html else _text).from_string(source)


def _one(env: SandboxedEnvironment, source: str, context: dict[str, Any]) -> str:
    return _compiled(env is _html, source).render(**context).strip()


def render(trigger: str, language: str, channel: str, context: dict[str, Any],
           overrides: dict[str, str] | None = None) -> Rendered:
    """The message for `channel` ("email": subject, text and HTML with the footer; "sms": text)."""
    overrides = overrides or {}
    context = {**context, "language": language}
    if channel == "sms":
        return Rendered(None, _one(_text, _source(trigger, language, "sms", overrides), context), None)
    footer = defaults(language)["_footer"]
    subject = " ".join(_one(_text, _source(trigger, language, "subject", overrides), context).split())
    text = _one(_text, _source(trigger, language, "text", overrides), context)
    text += "\n\n-- \n" + _one(_text, footer["text"], context)
    body = Markup(_one(_html, _source(trigger, language, "html", overrides), context))
    html = _layout().render(language=language, subject=subject, body=body,
                            footer=Markup(_one(_html, footer["html"], context)))
    return Rendered(subject, text, html)


def sample_context() -> dict[str, Any]:
    """Values for every variable: what a template is checked with when saved."""
    return {"sender_name": "Shop", "customer_name": "Ada", "reference": "1001", "tracking_url": "https://hub/t/x",
            "reschedule_url": "https://hub/t/x/next", "window": "tomorrow between 14:00 and 16:00", "eta": "14:25",
            "minutes": 15, "unsubscribe_url": "https://hub/notify/unsubscribe/x", "language": "en"}


def template_errors(parts: dict[str, str]) -> dict[str, str]:
    """Each part that does not compile or uses an unknown variable, with why."""
    problems = {}
    for part, source in parts.items():
        try:
            (_html if part == "html" else _text).from_string(source).render(**sample_context())
        except TemplateError as exc:
            problems[part] = f"the template does not render: {exc}; variables: {', '.join(VARIABLES)}"
    return problems
