"""Every namespace the atlas writes or reads, once; and the atlas's own IRIs, derived from its base IRI.

The atlas's ontology, graphs and catalogue live under the configured base IRI
(``TFATLAS_BASE_IRI``), so they are functions of it, never constants: an operator who sets
another base gets a consistent atlas.
"""

from __future__ import annotations

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
DCATDE = "http://dcat-ap.de/def/dcatde/"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
CV = "http://data.europa.eu/m8g/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SH = "http://www.w3.org/ns/shacl#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
SPDX = "http://spdx.org/rdf/terms#"
ADMS = "http://www.w3.org/ns/adms#"
TIME = "http://www.w3.org/2006/time#"
CPSV = "http://purl.org/vocab/cpsv#"
VANN = "http://purl.org/vocab/vann/"
LOCN = "http://www.w3.org/ns/locn#"
FORMATS = "http://www.w3.org/ns/formats/"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"

RDF_TYPE = RDF + "type"

#: The base IRI the shipped model files (ontology/, shapes/, data/, queries/) are written in; an
#: atlas with another base gets the model rebased onto its own when it is loaded (``init``).
MODEL_BASE = "https://w3id.org/tfatlas/"

#: Prefixes of the standard vocabularies, for prefixed names and RDF serialisations;
#: ``tfa`` (the atlas's ontology) is added per base IRI by :func:`prefixes`.
STANDARD_PREFIXES: dict[str, str] = {
    "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS, "dct": DCT, "foaf": FOAF,
    "schema": SCHEMA, "prov": PROV, "org": ORG, "cv": CV, "dcat": DCAT, "vcard": VCARD, "sh": SH,
    "adms": ADMS, "time": TIME, "cpsv": CPSV, "void": VOID, "vann": VANN,
}


def ontology_iri(base_iri: str) -> str:
    """The ontology's own IRI (the document /ontology serves)."""
    return base_iri + "ontology"


def tfa(base_iri: str) -> str:
    """The ontology namespace of an atlas with this base IRI."""
    return base_iri + "ontology#"


def shapes_namespace(base_iri: str) -> str:
    return base_iri + "shapes#"


def meta_graph(base_iri: str) -> str:
    """The graph that records where each named graph came from (not part of releases)."""
    return base_iri + "graph/meta"


def history_graph(base_iri: str) -> str:
    """The graph of the write history: one prov:Activity per accepted write (not part of releases)."""
    return base_iri + "graph/history"


def graph_iri(base_iri: str, kind: str, slug: str) -> str:
    """A named graph of a loaded file: <base>graph/<kind>/<slug>."""
    return f"{base_iri}graph/{kind}/{slug}"


def graph_prefix(base_iri: str, kind: str) -> str:
    """The common start of the graphs of one kind (ontology, shapes, data, user)."""
    return f"{base_iri}graph/{kind}/"


def scheme_iri(base_iri: str, scheme: str) -> str:
    """A concept scheme by its name (docs/model.md) or its full IRI."""
    return scheme if scheme.startswith(("http://", "https://")) else f"{base_iri}id/scheme/{scheme}"


def catalog_iri(base_iri: str) -> str:
    return base_iri + "catalog"


def prefixes(base_iri: str) -> dict[str, str]:
    """The standard prefixes and ``tfa`` for this atlas's ontology."""
    return {"tfa": tfa(base_iri), **STANDARD_PREFIXES}
