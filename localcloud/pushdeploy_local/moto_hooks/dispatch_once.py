"""Hook (speed only): moto lists a response class's methods again for every API call.

`BaseResponse.call_action` asks `method_names_from_class(self.__class__)` (inspect.getmembers over
the class, ~0.5 ms for IAM's) whether the action has a method, on every request. A class's method
names do not change while a process runs (the hooks replace methods, never add or remove one), so
this hook keeps them per class: ~25 % of a cheap call's cost, for the stack's ~130 creating calls and
every call the deployer makes. On a moto upgrade, check that `moto.core.responses` still imports
`method_names_from_class` and only tests membership in what it returns.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from unittest import mock

from moto.core import responses
from moto.core.utils import method_names_from_class


@functools.cache
def _method_names(clazz: type) -> frozenset[str]:
    return frozenset(method_names_from_class(clazz))


@contextlib.contextmanager
def method_names_once() -> Iterator[None]:
    with mock.patch.object(responses, "method_names_from_class", _method_names):
        yield
