"""The IRIs this package writes and reads (the atlas-wide vocab module may take them over)."""

from ..vocab import history_graph  # noqa: F401  (re-exported)
from ..vocab import CV, DCT, FOAF, ORG, OWL, PROV, RDF, RDF_TYPE, RDFS, SCHEMA, SH, SKOS, VCARD, XSD

# The shipped ontology and shapes files use these namespaces whatever the base IRI.
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
