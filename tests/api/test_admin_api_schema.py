"""The staff API is described by OpenAPI, with a response schema per operation and no secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

OPERATIONS = ("get", "post", "put", "patch", "delete")
SECRETS = ("password_hash", "totp_secret", "ciphertext", "blind_index", "phone", "sender")


def property_names(node: Any, components: dict[str, Any], seen: set[str]) -> Iterator[str]:
    """Every property name reachable from a schema, following $refs."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            yield from property_names(components[ref.rsplit("/", 1)[1]], components, seen)
        yield from node.get("properties", {})
        for value in node.values():
            yield from property_names(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            yield from property_names(value, components, seen)


async def test_every_api_operation_declares_a_response_that_holds_no_secret(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema.get("components", {}).get("schemas", {})

    operations = [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if method in OPERATIONS
    ]
    assert len(operations) >= 10
    for name, operation in operations:
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, name
        body = operation["responses"][success[0]].get("content", {}).get("application/json")
        assert body is not None, f"{name} declares no response body"
        names = {n.lower() for n in property_names(body["schema"], components, set())}
        assert not {n for n in names for s in SECRETS if s in n}, name
    assert "/console/connexion" not in schema["paths"]  # HTML pages stay out of the API
