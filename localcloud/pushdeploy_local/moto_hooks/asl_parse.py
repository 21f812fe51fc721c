"""Hook (speed only): moto parses the same ASL again for every state machine and every execution.

`AmazonStateLanguageParser.parse(definition)` runs ANTLR's lexer and parser (~100 ms for deploy.asl.json)
when `create_state_machine` validates the definition and again when each execution starts. This hook
keeps the parse tree of each definition text for the process and builds the evaluation components
from it anew at every call (moto's `Preprocessor`, ~15 ms): an execution never shares a component
with another, only the tree, which the Preprocessor only reads. A definition that does not parse is
not kept and fails as before. On a moto upgrade, check that `asl_parser.AmazonStateLanguageParser.parse`
still returns `(program, tree)` and `Preprocessor().visit(tree)` still builds the program.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

_parse = AmazonStateLanguageParser.parse


@functools.lru_cache(maxsize=8)
def _tree(definition: str) -> Any:
    return _parse(definition)[1]


def _parse_from_tree(definition: str) -> tuple[Any, Any]:
    tree = _tree(definition)
    return Preprocessor().visit(tree), tree


@contextlib.contextmanager
def parse_once() -> Iterator[None]:
    with mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(_parse_from_tree)):
        yield
