"""An offer as the edit page shows it: form values to the offer's statements and back (no Flask).

The edit page changes only the statements this module names (``FORM_PREDICATES``, the contact
point it leads to, the description of a cited page that no other graph describes); every other
statement about the offer (a competency, an extra type, ``dct:modified``) is kept as it is. The
write itself goes through :meth:`Contributions.submit` like every other interface.
"""

from __future__ import annotations

import datetime as _dt
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..i18n import pick
from ..vocab import DCT, FOAF, RDF, RDFS, SCHEMA, SKOS, VCARD, XSD, scheme_iri, tfa

DCAT_CONTACT = "http://www.w3.org/ns/dcat#contactPoint"
TYPE = ox.NamedNode(RDF + "type")

# Concept fields: (form field, property in the ontology namespace or full IRI, scheme, many values)
CONCEPT_FIELDS = (
    ("topics", "hasTopic", "topics", True),
    ("challenges", "addressesChallenge", "challenges", True),
    ("audiences", DCT + "audience", "target-groups", True),
    ("offer_type", DCT + "type", "offer-types", False),
    ("delivery_modes", "deliveryMode", "delivery-modes", True),
    ("cost_model", "costModel", "cost-models", False),
)


def _prop(base_iri: str, name: str) -> str:
    return name if "://" in name else tfa(base_iri) + name


def form_predicates(base_iri: str) -> set[str]:
    """The offer's properties the form writes (others are kept untouched)."""
    return {RDF + "type", RDFS + "label", DCT + "description", tfa(base_iri) + "providedBy",
            FOAF + "page", DCT + "source", DCAT_CONTACT, SCHEMA + "startDate", SCHEMA + "endDate",
            *(_prop(base_iri, p) for _f, p, _s, _m in CONCEPT_FIELDS)}


@dataclass
class OfferValues:
    """What a person typed or chose; strings as typed, concept IRIs as chosen."""

    title_de: str = ""
    title_en: str = ""
    description_de: str = ""
    description_en: str = ""
    provider: str = ""
    topics: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    offer_type: str = ""
    delivery_modes: list[str] = field(default_factory=list)
    cost_model: str = ""
    contact_email: str = ""
    contact_url: str = ""
    start_date: str = ""
    end_date: str = ""
    page: str = ""
    source_url: str = ""
    source_title: str = ""


class FieldErrors(dict):
    """field name -> messages (de/en already chosen); ``""`` holds what belongs to no field."""

    def add(self, name: str, message: str) -> None:
        found = self.setdefault(name, [])
        if message not in found:
            found.append(message)


MESSAGES = {
    "iri": {"de": "Keine gültige Web-Adresse (sie beginnt mit https:// und enthält keine Leerzeichen).",
            "en": "Not a valid web address (it starts with https:// and has no spaces)."},
    "email": {"de": "Keine gültige E-Mail-Adresse (name@beispiel.de).",
              "en": "Not a valid e-mail address (name@example.org)."},
    "date": {"de": "Kein gültiges Datum (JJJJ-MM-TT, z. B. 2026-03-01).",
             "en": "Not a valid date (YYYY-MM-DD, e.g. 2026-03-01)."},
    "order": {"de": "Das Ende liegt vor dem Beginn.", "en": "The end lies before the start."},
    "choice": {"de": "Diese Auswahl gibt es nicht.", "en": "This choice does not exist."},
    "source_title": {"de": "Die zitierte Seite braucht einen Titel.",
                     "en": "The cited page needs a title."},
}


def _iri(text: str, name: str, errors: FieldErrors, lang: str) -> ox.NamedNode | None:
    text = text.strip()
    if not text:
        return None
    try:
        if any(c.isspace() for c in text) or ":" not in text:
            raise ValueError(text)
        return ox.NamedNode(text)
    except ValueError:
        errors.add(name, MESSAGES["email" if name == "contact_email" else "iri"][lang])
        return None


def _date(text: str, name: str, errors: FieldErrors, lang: str) -> _dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        errors.add(name, MESSAGES["date"][lang])
        return None


def statements(values: OfferValues, offer: ox.NamedNode, base_iri: str, *, lang: str,
               choices: "Choices", described_elsewhere: set[str]) -> tuple[set[ox.Triple], FieldErrors]:
    """The offer's statements for the form's values, and what could not be written at all (a
    date that is none, an address with spaces); the shapes judge everything else in the gate."""
    errors = FieldErrors()
    t: set[ox.Triple] = set()

    def add(s, p, o):
        t.add(ox.Triple(s, ox.NamedNode(p), o))

    add(offer, RDF + "type", ox.NamedNode(tfa(base_iri) + "Offer"))
    for text, tag, prop in ((values.title_de, "de", RDFS + "label"), (values.title_en, "en", RDFS + "label"),
                            (values.description_de, "de", DCT + "description"),
                            (values.description_en, "en", DCT + "description")):
        if text.strip():
            add(offer, prop, ox.Literal(text.strip(), language=tag))
    if values.provider:
        if values.provider in choices.providers:
            add(offer, tfa(base_iri) + "providedBy", ox.NamedNode(values.provider))
        else:
            errors.add("provider", MESSAGES["choice"][lang])
    for name, prop, scheme, many in CONCEPT_FIELDS:
        chosen = getattr(values, name)
        for iri in (chosen if many else [chosen] if chosen else []):
            if iri not in choices.concepts[name]:
                errors.add(name, MESSAGES["choice"][lang])
                continue
            add(offer, _prop(base_iri, prop), ox.NamedNode(iri))
    page = _iri(values.page, "page", errors, lang)
    if page is not None:
        add(offer, FOAF + "page", page)
    start = _date(values.start_date, "start_date", errors, lang)
    end = _date(values.end_date, "end_date", errors, lang)
    for day, prop in ((start, SCHEMA + "startDate"), (end, SCHEMA + "endDate")):
        if day is not None:
            add(offer, prop, ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date")))
    if start and end and end < start:
        errors.add("end_date", MESSAGES["order"][lang])
    email = values.contact_email.strip().removeprefix("mailto:")
    email_iri = _iri("mailto:" + email, "contact_email", errors, lang) if email else None
    url = _iri(values.contact_url, "contact_url", errors, lang)
    if email_iri is not None or url is not None:
        contact = ox.BlankNode()
        add(offer, DCAT_CONTACT, contact)
        add(contact, RDF + "type", ox.NamedNode(VCARD + "Organization"))
        if email_iri is not None:
            add(contact, VCARD + "hasEmail", email_iri)
        if url is not None:
            add(contact, VCARD + "hasURL", url)
    source = _iri(values.source_url, "source_url", errors, lang)
    if source is not None:
        add(offer, DCT + "source", source)
        if source.value not in described_elsewhere:
            # The shapes want each cited page described; a page another graph describes is not ours.
            if values.source_title.strip():
                add(source, RDF + "type", ox.NamedNode(FOAF + "Document"))
                add(source, DCT + "title", ox.Literal(values.source_title.strip(), language=lang))
            else:
                errors.add("source_title", MESSAGES["source_title"][lang])
    return t, errors


def closure(triples: set[ox.Triple], node) -> set[ox.Triple]:
    """The statements about ``node`` and the blank nodes it leads to."""
    out, todo, seen = set(), [node], {node}
    while todo:
        current = todo.pop()
        for t in triples:
            if t.subject == current:
                out.add(t)
                if isinstance(t.object, ox.BlankNode) and t.object not in seen:
                    seen.add(t.object)
                    todo.append(t.object)
    return out


def _form_part(graph: set[ox.Triple], offer: ox.NamedNode, base_iri: str) -> set[ox.Triple]:
    """The statements of the graph the form owns for this offer (replaced on every save)."""
    owned = form_predicates(base_iri)
    part = {t for t in graph if t.subject == offer and t.predicate.value in owned
            and not (t.predicate.value == RDF + "type" and t.object.value != tfa(base_iri) + "Offer")}
    for t in list(part):
        if isinstance(t.object, ox.BlankNode):
            part |= closure(graph, t.object)
    return part


def cited_pages(graph: set[ox.Triple], offer: ox.NamedNode) -> set[ox.Triple]:
    """Descriptions of pages only this offer cites in the graph (they go when it goes)."""
    sources = {t.object for t in graph if t.subject == offer and t.predicate.value == DCT + "source"}
    others = {t.object for t in graph if t.subject != offer and t.predicate.value == DCT + "source"}
    return {t for t in graph if t.subject in sources - others and t.subject != offer
            and t.predicate.value in (RDF + "type", DCT + "title")}


def replace_offer(graph: set[ox.Triple], offer: ox.NamedNode, new: set[ox.Triple], base_iri: str) -> set[ox.Triple]:
    """The actor graph with the offer's form statements replaced by ``new`` (others kept)."""
    kept = graph - _form_part(graph, offer, base_iri) - cited_pages(graph, offer)
    return kept | new


def withdraw_offer(graph: set[ox.Triple], offer: ox.NamedNode) -> set[ox.Triple]:
    """The actor graph without the offer: its statements, its blank nodes, the pages only it cites."""
    return graph - closure(graph, offer) - cited_pages(graph, offer)


def values_of(graph: set[ox.Triple], offer: ox.NamedNode, base_iri: str) -> OfferValues:
    """The form's values for an offer in the graph."""
    v = OfferValues()
    about = [t for t in graph if t.subject == offer]

    def objects(prop: str) -> list:
        return sorted((t.object for t in about if t.predicate.value == prop), key=str)

    for o in objects(RDFS + "label"):
        if o.language in ("de", "en"):
            setattr(v, f"title_{o.language}", o.value)
    for o in objects(DCT + "description"):
        if o.language in ("de", "en"):
            setattr(v, f"description_{o.language}", o.value)
    providers = objects(tfa(base_iri) + "providedBy")
    v.provider = providers[0].value if providers else ""
    for name, prop, _scheme, many in CONCEPT_FIELDS:
        found = [o.value for o in objects(_prop(base_iri, prop)) if isinstance(o, ox.NamedNode)]
        setattr(v, name, found if many else (found[0] if found else ""))
    pages = objects(FOAF + "page")
    v.page = pages[0].value if pages else ""
    for o, name in ((objects(SCHEMA + "startDate"), "start_date"), (objects(SCHEMA + "endDate"), "end_date")):
        if o:
            setattr(v, name, o[0].value)
    for contact in objects(DCAT_CONTACT):
        for t in graph:
            if t.subject == contact and t.predicate.value == VCARD + "hasEmail" and not v.contact_email:
                v.contact_email = t.object.value.removeprefix("mailto:")
            if t.subject == contact and t.predicate.value == VCARD + "hasURL" and not v.contact_url:
                v.contact_url = t.object.value
    sources = objects(DCT + "source")
    if sources:
        v.source_url = sources[0].value
        titles = [t.object.value for t in graph if t.subject == sources[0] and t.predicate.value == DCT + "title"]
        v.source_title = titles[0] if titles else ""
    return v


# -- choices -------------------------------------------------------------------------------------

@dataclass
class Choices:
    providers: dict[str, str]  # IRI -> label: the actor and its units
    concepts: dict[str, dict[str, str]]  # form field -> concept IRI -> label, in label order


def choices(store, actor: str, lang: str) -> Choices:
    """What the form offers to choose, labelled in the reader's language."""
    base = store.base_iri
    concepts: dict[str, dict[str, str]] = {}
    for name, _prop_name, scheme, _many in CONCEPT_FIELDS:
        labels: dict[str, dict[str, str]] = {}
        for row in store.query(f"SELECT ?c ?l WHERE {{ ?c <{SKOS}inScheme> <{scheme_iri(base, scheme)}> ; "
                               f"<{SKOS}prefLabel> ?l }}"):
            labels.setdefault(row["c"].value, {})[(row["l"].language or "")] = row["l"].value
        named = {iri: pick(texts, lang, iri) for iri, texts in labels.items()}
        concepts[name] = dict(sorted(named.items(), key=lambda kv: _fold(kv[1])))
    providers: dict[str, dict[str, str]] = {}
    query = (f"SELECT ?o ?l WHERE {{ {{ BIND(<{actor}> AS ?o) }} UNION {{ ?o <http://www.w3.org/ns/org#unitOf>+ "
             f"<{actor}> }} OPTIONAL {{ ?o <{RDFS}label> ?l }} }}")
    for row in store.query(query):
        texts = providers.setdefault(row["o"].value, {})
        if row["l"] is not None:
            texts[row["l"].language or ""] = row["l"].value
    named = {iri: pick(texts, lang, iri) for iri, texts in providers.items()}
    ordered = {actor: named.pop(actor, actor)}
    ordered.update(sorted(named.items(), key=lambda kv: _fold(kv[1])))
    return Choices(providers=ordered, concepts=concepts)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).casefold()


def mint(base_iri: str, slug: str, title: str) -> ox.NamedNode:
    """A new offer IRI: the actor's slug, words of the title, a random tail (never reused)."""
    words = re.sub(r"[^a-z0-9]+", "-", _fold(title).encode("ascii", "ignore").decode()).strip("-")[:40].strip("-")
    return ox.NamedNode(f"{base_iri}id/offer/{slug}-{words or 'angebot'}-{secrets.token_hex(3)}")


def described_elsewhere(store, graph: str, iris: list[str]) -> set[str]:
    """Which of ``iris`` a graph other than ``graph`` describes (those are not the account's)."""
    iris = [i for i in iris if i]
    if not iris:
        return set()
    values = " ".join(f"<{i}>" for i in iris)
    rows = store.query(f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
                       f"FILTER(?g != <{graph}>) }}", union_default=False)
    return {row["s"].value for row in rows}


# -- the gate's findings next to the fields ------------------------------------------------------

_BY_PATH = {
    "rdfs:label": "title_de", "dct:description": "description_de", "tfa:providedBy": "provider",
    "tfa:hasTopic": "topics", "tfa:addressesChallenge": "challenges", "dct:audience": "audiences",
    "dct:type": "offer_type", "tfa:deliveryMode": "delivery_modes", "tfa:costModel": "cost_model",
    "dcat:contactPoint": "contact_email", "vcard:hasEmail": "contact_email", "vcard:hasURL": "contact_url",
    "foaf:page": "page", "dct:source": "source_url", "dct:title": "source_title",
    "schema:startDate": "start_date", "schema:endDate": "end_date",
}


def field_of(finding) -> str:
    """The form field a finding of the gate belongs to, by its sh:resultPath ("" for none)."""
    path = finding.path or ""
    if path == "rdfs:label" and str(finding.shape or "").endswith("#EnglishLabel"):
        return "title_en"
    if path.startswith("vcard:hasEmail |"):  # the contact point gives no way to reach anyone
        return "contact_email"
    if not path and finding.component in ("Pattern", "NodeKind"):  # a cited page that is no web page
        return "source_url"
    return _BY_PATH.get(path, "")


def findings_by_field(report, lang: str, severity: str) -> FieldErrors:
    out = FieldErrors()
    for finding in (report.violations if severity == "Violation" else report.warnings):
        out.add(field_of(finding), finding.message(lang))
    return out
