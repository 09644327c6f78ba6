"""The IRIs this package writes and reads (the atlas-wide vocab module may take them over)."""

from functools import lru_cache
from types import SimpleNamespace

from ..vocab import MODEL_BASE
from ..vocab import history_graph  # noqa: F401  (re-exported)
from ..vocab import CV, DCT, FOAF, ORG, OWL, PROV, RDF, RDF_TYPE, RDFS, SCHEMA, SH, SKOS, VCARD, XSD

# The shipped model's namespaces; on an atlas with another base IRI use ``for_base(base).TFA``.
TFA = "https://w3id.org/tfatlas/ontology#"
TFASH = "https://w3id.org/tfatlas/shapes#"

UNIT_OF = ORG + "unitOf"
HAS_UNIT = ORG + "hasUnit"
MODIFIED = DCT + "modified"

# Organisations: an account may describe only its own one and its units.
ORGANISATION_CLASSES = frozenset({
    ORG + "Organization", ORG + "FormalOrganization", ORG + "OrganizationalUnit",
    ORG + "OrganizationalCollaboration", CV + "PublicOrganisation", TFA + "TransformationActor",
    FOAF + "Organization",
})
UNIT_CLASSES = frozenset({ORG + "OrganizationalUnit"})

# Kinds only the operator maintains: the vocabularies, the ontology and the shapes.
OPERATOR_CLASSES = frozenset({
    SKOS + "Concept", SKOS + "ConceptScheme", SKOS + "Collection",
    OWL + "Class", OWL + "Ontology", OWL + "ObjectProperty", OWL + "DatatypeProperty",
    OWL + "AnnotationProperty", OWL + "Restriction", RDFS + "Class", RDF + "Property",
    RDFS + "Datatype", SH + "NodeShape", SH + "PropertyShape", SH + "Shape",
})
OPERATOR_NAMESPACES = (TFA, TFASH, RDF, RDFS, OWL, SH, SKOS, ORG, PROV, DCT, FOAF, CV, VCARD, XSD,
                       SCHEMA, "http://www.w3.org/ns/dcat#")

# Statements whose object says who stands behind a resource: it must be the account's own
# organisation or one of its units (else an account could attribute offers to another actor).
ATTRIBUTING_PREDICATES = frozenset({
    TFA + "providedBy", TFA + "organisedBy", HAS_UNIT, UNIT_OF,
})

# Resources whose dct:modified the atlas sets on every change (the shapes' own kinds).
STAMPED_CLASSES = frozenset({
    TFA + "Offer", TFA + "Initiative", TFA + "Project", TFA + "TransformationActor",
    ORG + "Organization", ORG + "FormalOrganization", ORG + "OrganizationalUnit",
    ORG + "OrganizationalCollaboration", ORG + "ChangeEvent", CV + "PublicOrganisation",
    CV + "PublicEvent",
})

# Kinds that need an IRI to be written by an account (sources are cited by IRI; contact points
# hang off the resource they belong to).
ANONYMOUS_REFUSED = frozenset({FOAF + "Document", VCARD + "Kind", VCARD + "Organization",
                               VCARD + "Individual"})


def actor_iri(base_iri: str, slug: str) -> str:
    return f"{base_iri}id/org/{slug}"


def actor_graph(base_iri: str, slug: str) -> str:
    return f"{base_iri}graph/actor/{slug}"

# The write history (declared in ontology/tfatlas.ttl).
CHANGED_GRAPH = TFA + "changedGraph"
TRIPLES_ADDED = TFA + "triplesAdded"
TRIPLES_REMOVED = TFA + "triplesRemoved"
ADDED_STATEMENT = TFA + "addedStatement"
REMOVED_STATEMENT = TFA + "removedStatement"
VIA_INTERFACE = TFA + "viaInterface"


def on_base(iri: str, base_iri: str) -> str:
    """An IRI of the shipped model (written for ``MODEL_BASE``) on an atlas with ``base_iri``:
    ``tfatlas init`` rebases the ontology, shapes and data onto the configured base."""
    return base_iri + iri[len(MODEL_BASE):] if iri.startswith(MODEL_BASE) else iri


@lru_cache(maxsize=8)
def for_base(base_iri: str) -> SimpleNamespace:
    """Every constant of this module (IRIs, sets and tuples of IRIs) on the atlas's base IRI."""
    found = {}
    for name, value in globals().items():
        if not name.isupper():
            continue
        if isinstance(value, str):
            found[name] = on_base(value, base_iri)
        elif isinstance(value, (frozenset, tuple)):
            found[name] = type(value)(on_base(v, base_iri) for v in value)
    return SimpleNamespace(**found)
