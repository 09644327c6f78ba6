"""The release's catalogue conforms to DCAT-AP 3.0.0 plus the DCAT-AP.de 3.0 overlay, and says the truth.

Shapes: the official DCAT-AP 3.0.0 SHACL file and GovData's DCAT-AP.de 3.0 files from ../shared
(German messages and deactivations, the German additions, the controlled-vocabulary shapes and the
deprecation checks). ``dcat-ap-de-imports.ttl`` holds only ``owl:imports`` of the vocabularies
(EU authority lists, the DCAT-AP.de licence and geocoding lists, SPDX), which point to the web and
cannot be fetched offline; ``dcat-ap-de-controlledvocabularies.ttl`` holds shapes, not vocabulary
data. The shapes check a code by ``skos:inScheme <list>`` (or ``a spdx:ChecksumAlgorithm``), so
VOCABULARY below restates, for exactly the codes the catalogue uses, the triples those published
lists contain. It is written by hand, not downloaded: a code that is not listed here (a typo, a
code from another list) is not in scheme and makes the validation fail, as it would at GovData.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from support.paths import shared_path
from support.stores import make_release

SHAPES = (
    ("dcat-ap-3.0.0", "dcat-ap-SHACL.ttl"),
    ("dcat-ap-de-3.0", "dcat-ap-SHACL-DE.ttl"),
    ("dcat-ap-de-3.0", "dcat-ap-spec-german-additions.ttl"),
    ("dcat-ap-de-3.0", "dcat-ap-de-controlledvocabularies.ttl"),
    ("dcat-ap-de-3.0", "dcat-ap-de-deprecated.ttl"),
)

VOCABULARY = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix eu: <http://publications.europa.eu/resource/authority/> .

<http://publications.europa.eu/resource/authority/language/DEU> a skos:Concept ; skos:inScheme eu:language .
<http://publications.europa.eu/resource/authority/language/ENG> a skos:Concept ; skos:inScheme eu:language .
<http://publications.europa.eu/resource/authority/data-theme/GOVE> a skos:Concept ; skos:inScheme eu:data-theme .
<http://publications.europa.eu/resource/authority/access-right/PUBLIC> a skos:Concept ; skos:inScheme eu:access-right .
<http://publications.europa.eu/resource/authority/frequency/IRREG> a skos:Concept ; skos:inScheme eu:frequency .
<http://publications.europa.eu/resource/authority/file-type/RDF_TURTLE> a skos:Concept ; skos:inScheme eu:file-type .
<http://publications.europa.eu/resource/authority/file-type/RDF_N_TRIPLES> a skos:Concept ; skos:inScheme eu:file-type .
<http://publications.europa.eu/resource/authority/file-type/RDF_TRIG> a skos:Concept ; skos:inScheme eu:file-type .
<http://publications.europa.eu/resource/authority/file-type/JSON_LD> a skos:Concept ; skos:inScheme eu:file-type .
<http://publications.europa.eu/resource/authority/file-type/CSV> a skos:Concept ; skos:inScheme eu:file-type .
<http://dcat-ap.de/def/licenses/cc-by/4.0> a skos:Concept ; skos:inScheme <http://dcat-ap.de/def/licenses> .
<http://dcat-ap.de/def/politicalGeocoding/Level/federal> a skos:Concept ;
    skos:inScheme <http://dcat-ap.de/def/politicalGeocoding/Level> .
spdx:checksumAlgorithm_sha256 a spdx:ChecksumAlgorithm .
"""

BASE_URL = "https://atlas.example.org"
# Open namespaces: pytest's collection trips over rdflib's closed ones at module level.
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
RDF = rdflib.Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for folder, name in SHAPES:
        graph.parse(shared_path("dcat-ap", folder, name), format="turtle")
    return graph


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return make_release(tmp_path_factory.mktemp("catalog"), base_url=BASE_URL)


@pytest.fixture(scope="module")
def catalog(release) -> rdflib.Graph:
    directory, _ = release
    return rdflib.Graph().parse(directory / "catalog.ttl", format="turtle")


def _validate(data: rdflib.Graph, shapes: rdflib.Graph):
    import pyshacl

    conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                              allow_warnings=False, advanced=True)
    results = [(str(report.value(r, SH.resultSeverity)), str(report.value(r, SH.focusNode)),
                str(report.value(r, SH.resultMessage)))
               for r in report.subjects(RDF.type, SH.ValidationResult)]
    return conforms, results


def test_catalog_conforms_to_dcat_ap_and_dcat_ap_de(catalog, shapes):
    data = rdflib.Graph()
    data += catalog
    data.parse(data=VOCABULARY, format="turtle")
    conforms, results = _validate(data, shapes)
    # No violation, and no warning either (GovData shows warnings to the data's users).
    assert conforms, "\n".join(map(str, results))


def test_the_shapes_really_check_the_vocabularies(catalog, shapes):
    """Without the vocabulary triples the codes are not in scheme: the shapes are active."""
    conforms, results = _validate(catalog, shapes)
    assert not conforms
    assert any(severity.endswith("Violation") and "dcterms:format" in message
               for severity, _, message in results)


def test_a_broken_catalogue_violates(catalog, shapes):
    data = rdflib.Graph()
    data += catalog
    data.parse(data=VOCABULARY, format="turtle")
    distribution = next(data.subjects(RDF.type, DCAT.Distribution))
    data.remove((distribution, DCTERMS.license, None))
    data.remove((distribution, DCAT.accessURL, None))
    conforms, results = _validate(data, shapes)
    assert not conforms
    assert any(focus == str(distribution) for _, focus, _ in results)


def test_distributions_describe_the_files_truly(catalog, release):
    directory, _ = release
    distributions = list(catalog.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) >= 10
    for dist in distributions:
        url = str(catalog.value(dist, DCAT.downloadURL))
        assert url.startswith(BASE_URL + "/downloads/")
        path = directory / url.rsplit("/", 1)[1]
        content = path.read_bytes()
        size = catalog.value(dist, DCAT.byteSize)
        assert size.datatype == rdflib.XSD.nonNegativeInteger and int(size) == len(content)
        checksum = catalog.value(dist, SPDX.checksum)
        assert catalog.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(catalog.value(checksum, SPDX.checksumValue)) == hashlib.sha256(content).hexdigest()
        assert str(catalog.value(dist, DCAT.mediaType)).startswith("http://www.iana.org/assignments/media-types/")
        assert str(catalog.value(dist, DCTERMS["format"])).startswith(
            "http://publications.europa.eu/resource/authority/file-type/")
        assert catalog.value(dist, DCTERMS.license) == rdflib.URIRef("http://dcat-ap.de/def/licenses/cc-by/4.0")
    titles = {str(t) for d in catalog.subjects(RDF.type, DCAT.Dataset) for t in catalog.objects(d, DCTERMS["title"])
              if t.language == "en"}
    assert {"Offers of the transformation actors", "Transformation ontology and SHACL shapes"} <= titles


def test_service_and_dates(catalog, release):
    service = next(catalog.subjects(RDF.type, DCAT.DataService))
    assert str(catalog.value(service, DCAT.endpointURL)) == BASE_URL + "/sparql"
    assert len(list(catalog.objects(service, DCAT.servesDataset))) == 5
    directory, _ = release
    # the catalogue's date is the data's latest dct:modified, not the day of publishing
    dump = ox.parse((directory / "tfatlas.ttl").read_bytes(), ox.RdfFormat.TURTLE)
    latest = max(t.object.value[:10] for t in dump if t.predicate.value == str(DCTERMS.modified))
    cat = next(catalog.subjects(RDF.type, DCAT.Catalog))
    assert str(catalog.value(cat, DCTERMS.modified)) == latest


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside rdflib's JSON-LD parser
def test_catalogue_formats_say_the_same(catalog, release):
    directory, _ = release
    for name, fmt in (("catalog.jsonld", "json-ld"), ("catalog.rdf", "xml")):
        other = rdflib.Graph().parse(directory / name, format=fmt)
        assert isomorphic(catalog, other), name


def test_void_counts_match_the_store(release):
    directory, counts = release
    void = rdflib.Graph().parse(directory / "void.ttl", format="turtle")
    atlas = rdflib.URIRef("https://w3id.org/tfatlas/catalog#atlas")
    assert int(void.value(atlas, VOID.triples)) == counts["triples"]
    assert str(void.value(atlas, VOID.sparqlEndpoint)) == BASE_URL + "/sparql"
    dumps = {str(d).rsplit("/", 1)[1] for d in void.objects(atlas, VOID.dataDump)}
    assert dumps == {"tfatlas.ttl", "tfatlas.nt.gz", "tfatlas.jsonld", "tfatlas.trig"}
    subsets = list(void.objects(atlas, VOID.subset))
    assert sum(int(void.value(s, VOID.triples)) for s in subsets) == counts["triples"]
    for stat in (VOID.classes, VOID.properties, VOID.distinctSubjects):
        assert int(void.value(atlas, stat)) > 0
