"""SPARQL SELECT against a registry through SPARQLWrapper, with the client's allow-list, retries,
User-Agent and cache."""

from __future__ import annotations

import json
import socket
import urllib.error

from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

from .http import USER_AGENT, RegistryClient, RegistryError, _Retry


def select(client: RegistryClient, endpoint: str, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT, each variable's value as a string (IRIs and literals alike)."""

    def send():
        wrapper = SPARQLWrapper(endpoint, agent=USER_AGENT)
        wrapper.setQuery(query)
        wrapper.setMethod(POST)
        wrapper.setReturnFormat(JSON)
        wrapper.setTimeout(int(max(client.timeout, 1)))
        try:
            answer = wrapper.queryAndConvert()
        except (EndPointInternalError, urllib.error.URLError, socket.timeout, TimeoutError,
                ConnectionError) as exc:
            raise _Retry() from exc
        except urllib.error.HTTPError as exc:  # pragma: no cover - a subclass of URLError above
            raise _Retry() from exc
        except SPARQLWrapperException as exc:
            raise RegistryError(f"the SPARQL endpoint {endpoint} refused the query: {exc}") from None
        except json.JSONDecodeError:
            raise RegistryError(f"the SPARQL endpoint {endpoint} did not answer SPARQL JSON") from None
        if not isinstance(answer, dict) or "results" not in answer:
            raise RegistryError(f"the SPARQL endpoint {endpoint} did not answer SPARQL JSON")
        return [{k: v["value"] for k, v in row.items()} for row in answer["results"]["bindings"]]

    return client.call(endpoint, json.dumps(["sparql", endpoint, query]), send, lambda v: v, lambda v: v)
