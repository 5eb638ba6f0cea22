"""openapi-spec-validator, with the one check it gets wrong for us: OpenAPI 3.1 patterns are
ECMA-262 regular expressions (JSON Schema 2020-12), but the validator's `regex` format checks
them with Python's `re`, which has no `\\p{L}`. Here `regex` is checked by jsonschema-rs, whose
`regex` format follows ECMA-262 (the same check its metaschema pass already makes); every other
rule is the validator's own."""
from __future__ import annotations

from typing import Any

import jsonschema_rs
from jsonschema import FormatChecker
from openapi_schema_validator import oas31_format_checker
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.validation import keywords

_ECMA_REGEX = jsonschema_rs.validator_for({"type": "string", "format": "regex"},
                                          validate_formats=True)
FORMATS = FormatChecker()
FORMATS.checkers = dict(oas31_format_checker.checkers)


@FORMATS.checks("regex")
def _ecma_regex(instance: object) -> bool:
    return not isinstance(instance, str) or _ECMA_REGEX.is_valid(instance)


class _Schemas(keywords.OpenAPIV31SchemaValidator):
    schema_validator_format_checker = FORMATS


class OpenAPI31(OpenAPIV31SpecValidator):
    keyword_validators = {**OpenAPIV31SpecValidator.keyword_validators, "schema": _Schemas}


def validate_document(document: dict[str, Any]) -> None:
    validate(document, cls=OpenAPI31)
