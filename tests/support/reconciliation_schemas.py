"""The official JSON Schemas of the Reconciliation API 0.2 (../shared/reconciliation/0.2), offline.

The manifest schema refers to Swagger 2.0's security definitions by URL; that schema comes from
the installed openapi-spec-validator, so nothing is fetched.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import openapi_spec_validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from .paths import SHARED

SPEC = SHARED / "reconciliation" / "0.2"
SCHEMAS = SPEC / "schemas"
EXAMPLES = SPEC / "examples"
_OPENAPI = Path(openapi_spec_validator.__file__).parent / "resources" / "schemas"
SWAGGER = _OPENAPI / "v2.0" / "schema.json"
#: The spec defines security schemes by OpenAPI 3 ("Security schemes are defined in [OPENAPIS]"),
#: while its manifest schema refers to Swagger 2's: the security-scheme examples follow OpenAPI 3.
OPENAPI3 = _OPENAPI / "v3.0" / "schema.json"
SECURITY_SCHEME = "openapi3-security-scheme"


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        resources.append((document.get("$id", path.name), Resource.from_contents(document, DRAFT7)))
    swagger = json.loads(SWAGGER.read_text(encoding="utf-8"))
    resources.append(("http://swagger.io/v2/schema.json", Resource.from_contents(swagger, DRAFT7)))
    openapi3 = json.loads(OPENAPI3.read_text(encoding="utf-8"))
    resources.append((openapi3["id"], Resource.from_contents(openapi3, DRAFT7)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validator(name: str) -> jsonschema.Draft7Validator:
    if name == SECURITY_SCHEME:
        schema = {"$ref": json.loads(OPENAPI3.read_text(encoding="utf-8"))["id"] + "#/definitions/SecurityScheme"}
    else:
        schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, registry=REGISTRY)


def errors(name: str, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(document)]
