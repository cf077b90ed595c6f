"""Which of the contract kit's tests a connector gets.

A kit test marked with :func:`applies_to` is generated only for a connector that declares the
capabilities it names, and each of its parameters only for the inputs that apply to it (a golden case
with a ``.headers.json``, a signed request with a body, ...). A test left without inputs is not
collected at all, so a connector's test report lists what was checked and no skipped entries stand for
checks that cannot apply to it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["applies_to", "parameters", "select_tests"]

F = TypeVar("F", bound=Callable[..., Any])
#: ``keep(contract_class, value)``: whether one input of a parameter applies.
Keep = Callable[[Any, Any], bool]
#: ``when(contract_class)``: whether the test applies at all (e.g. to the spec's webhook auth scheme).
When = Callable[[Any], bool]
Rule = tuple[frozenset[str], Mapping[str, Keep], When | None]
_ATTRIBUTE = "__contract_applies__"
_LEFT_OUT = "__contract_left_out__"  # on a contract class: the tests the kit left out of it


def applies_to(*capabilities: str, when: When | None = None, **only: Keep) -> Callable[[F], F]:
    """Mark a contract test: generated only for a connector that declares every one of ``capabilities``
    (and for which ``when(contract_class)`` holds, if given), and each parameter named in ``only`` only for
    the inputs ``only[name](contract_class, value)`` keeps."""

    def mark(test: F) -> F:
        setattr(test, _ATTRIBUTE, (frozenset(capabilities), only, when))
        return test

    return mark


def _rule(test: Callable[..., Any], kit_test: Any) -> Rule:
    """The test's own mark, else the mark of the kit's test it overrides, else no condition."""
    for candidate in (test, kit_test):
        rule = getattr(candidate, _ATTRIBUTE, None)
        if rule is not None:
            return rule  # type: ignore[no-any-return]
    return frozenset(), {}, None


def parameters(contract: Any, test: Callable[..., Any], kit: type) -> dict[str, list[tuple[str, Any]]]:
    """For each argument of ``test`` that the kit fills in, ``(id, value)`` of the inputs that apply.

    ``contract`` is the connector's contract class: ``contract.kit_inputs(arg)`` lists every input of
    ``arg`` (None for an argument the kit does not fill in); ``kit`` is the kit's base class."""
    _, only, _ = _rule(test, vars(kit).get(test.__name__))
    found = {}
    for arg in inspect.signature(test).parameters:
        inputs = contract.kit_inputs(arg)
        if inputs is not None:
            keep = only.get(arg)
            found[arg] = [(i, value) for i, value in inputs if keep is None or keep(contract, value)]
    return found


def _applies(contract: Any, test: Callable[..., Any], kit: type) -> bool:
    capabilities, _, when = _rule(test, vars(kit).get(test.__name__))
    return (capabilities <= contract.spec.capabilities and (when is None or when(contract))
            and all(parameters(contract, test, kit).values()))


def _inherited_test(contract: type, name: str) -> Any:
    """The test ``name`` as the nearest class defines it; None when a connector's own class set it to
    None to switch it off (the kit respects that), a None the kit set itself does not count."""
    for klass in contract.__mro__:
        value = vars(klass).get(name)
        if value is not None:
            return value
        if name in vars(klass) and name not in vars(klass).get(_LEFT_OUT, ()):
            return None
    return None


def select_tests(contract: type, kit: type) -> None:
    """Leave out of ``contract`` every test that does not apply to its connector (pytest collects
    nothing from a class attribute that is None), and put back one that a base class left out."""
    left_out = set()
    for name in dir(contract):
        test = _inherited_test(contract, name)
        if not name.startswith("test") or not inspect.isfunction(test):
            continue
        if not _applies(contract, test, kit):
            setattr(contract, name, None)
            left_out.add(name)
        elif getattr(contract, name) is None:
            setattr(contract, name, test)
    setattr(contract, _LEFT_OUT, frozenset(left_out))
