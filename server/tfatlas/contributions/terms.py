"""The IRIs this package writes and reads (the atlas-wide vocab module may take them over)."""

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
CV = "http://data.europa.eu/m8g/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
TFA = "https://w3id.org/tfatlas/ontology#"
TFASH = "https://w3id.org/tfatlas/shapes#"

RDF_TYPE = RDF + "type"
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
                       "https://schema.org/", "http://www.w3.org/ns/dcat#")

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


def history_graph(base_iri: str) -> str:
    """The graph of the write history (one prov:Activity per accepted write)."""
    return base_iri + "graph/history"


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
