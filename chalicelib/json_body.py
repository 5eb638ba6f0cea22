"""Reading a request body as JSON without letting the body choose how the parser fails.

`json.loads` recurses once per nesting level and raises `RecursionError` (not `ValueError`)
around a thousand levels; it accepts `NaN` and `Infinity`, which are not JSON (RFC 8259); and
it lets `"\\ud800"` through as a lone surrogate that no UTF-8 encoder (DynamoDB, SES, our own
responses) can write. Each of these is refused here as `malformed_json`, before any model or
library sees the value, so a hostile body gets a 400 instead of a 500 or a half-written record.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from chalicelib import errors

# Our deepest body is four levels (service request -> case_facts -> deadlines -> deadline);
# a generous margin, far below the recursion limit.
MAX_DEPTH = 16

# A JSON string, escapes included; removed before counting brackets so "[[[" in a name does not
# count. Linear: the alternatives cannot both match the same character.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
# Lone surrogates cannot be encoded as UTF-8; NUL truncates C strings in mail and print tools.
_UNWRITABLE = re.compile("[\ud800-\udfff\x00]")


def loads(raw: bytes | str) -> Any:
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError:
        raise errors.MalformedJson("The request body is not UTF-8 text.") from None
    if _depth(text) > MAX_DEPTH:
        raise errors.MalformedJson("The request body nests arrays or objects too deeply.")
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError:  # JSONDecodeError, numbers too long to convert, NaN/Infinity
        raise errors.MalformedJson() from None
    if not _writable(data):
        raise errors.MalformedJson(
            "The request body contains a character escape that is not text (a lone surrogate "
            "or NUL).")
    return data


def _depth(text: str) -> int:
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _writable(value: Any) -> bool:
    # Recursion is bounded by MAX_DEPTH, checked above.
    if isinstance(value, str):
        return _UNWRITABLE.search(value) is None
    if isinstance(value, dict):
        return all(_writable(k) and _writable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_writable(v) for v in value)
    return True
