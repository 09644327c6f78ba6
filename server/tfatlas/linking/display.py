"""What a resource page says of a resource's links: "auch in / also in: Wikidata Q…, GND …"."""

from __future__ import annotations

from dataclasses import dataclass

from ..vocab import CONTRIBUTORS, GND, ROR, WD
from .records import ACCEPTED, PROPOSED, REVIEWED, read_mappings

STATUS = {"de": {ACCEPTED: "automatisch verknüpft", REVIEWED: "geprüft", PROPOSED: "Vorschlag, ungeprüft"},
          "en": {ACCEPTED: "linked automatically", REVIEWED: "reviewed", PROPOSED: "proposed, not reviewed"}}


@dataclass(frozen=True)
class RegistryLink:
    registry: str  # as people know it: Wikidata, GND, ROR, GovData, Anschriftenverzeichnis
    identifier: str
    url: str
    status: str
    status_text: str


def _named(iri: str, registry: str, notation: str) -> tuple[str, str, str]:
    for prefix, name, url in ((WD, "Wikidata", "https://www.wikidata.org/wiki/"), (GND, "GND", GND),
                              (ROR, "ROR", ROR), (CONTRIBUTORS, "GovData", CONTRIBUTORS)):
        if iri.startswith(prefix):
            key = iri[len(prefix):]
            return name, key, url + key
    if registry == "anschriftenverzeichnis":
        return "Anschriftenverzeichnis des Bundes", notation, ""
    return registry, iri, iri


def registry_links(store, iri: str, lang: str) -> list[RegistryLink]:
    """The resource's links that are not rejected, the reviewed and accepted ones first."""
    order = {REVIEWED: 0, ACCEPTED: 1, PROPOSED: 2}
    links: dict[tuple[str, str], RegistryLink] = {}
    for m in sorted(read_mappings(store, subject=iri), key=lambda m: order.get(m.status, 9)):
        if m.status not in order:
            continue
        for target in (m.object, *m.see_also):
            name, key, url = _named(target, m.registry, m.notation)
            links.setdefault((name, key), RegistryLink(name, key, url, m.status,
                                                       STATUS.get(lang, STATUS["de"])[m.status]))
    return list(links.values())
