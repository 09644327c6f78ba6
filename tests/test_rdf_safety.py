"""What the store accepts must dump and reload; RDF/XML entity declarations are refused.

The round trip (insert, dump N-Quads, reload) is a property test over terms of every kind; the
literals it found that do not come back are the ones ``rdf_safety`` refuses.
"""

from __future__ import annotations

import io

import pyoxigraph as ox
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st

from tfatlas.model import rdf_safety

RDF = rdf_safety.RDF
XSD = "http://www.w3.org/2001/XMLSchema#"
DATATYPES = [RDF + "langString", RDF + "dirLangString", RDF + "HTML", RDF + "XMLLiteral", RDF + "JSON",
             XSD + "string", XSD + "integer", XSD + "date", XSD + "boolean", XSD + "decimal",
             "http://example.org/custom"]
LANGUAGES = [None, "de", "en-GB", "de-Latn-DE", "x-private", "en--ltr", "ar--rtl"]


def _nq(store: ox.Store) -> bytes:
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_QUADS)
    return out.getvalue()


PUBLISHED = (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML)


def _round_trips(store: ox.Store) -> bool:
    """Dump and reload (what workers, dump and restore do), and every format a release is written in."""
    copy = ox.Store()
    try:
        copy.bulk_load(_nq(store), ox.RdfFormat.N_QUADS)
        triples = [q.triple for q in store]
        for fmt in PUBLISHED:
            if len(set(ox.parse(ox.serialize(triples, format=fmt), fmt))) != len(set(triples)):
                return False
    except (SyntaxError, ValueError, OSError):
        return False
    return len(copy) == len(store)


lexical = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(value=lexical, datatype=st.sampled_from(DATATYPES), language=st.sampled_from(LANGUAGES),
       computed=st.booleans(), quoted=st.sampled_from([None, "term", "reified", "function"]))
def test_every_update_the_checks_admit_round_trips(value, datatype, language, computed, quoted):
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if language:
        term = f'"{escaped}"@{language}'
    else:
        term = f'"{escaped}"^^<{datatype}>'
    if computed:
        call = f'STRLANG("{escaped}", "{language}")' if language else f'STRDT("{escaped}", <{datatype}>)'
        update = f"INSERT {{ GRAPH <http://e/g> {{ <http://e/s> <http://e/p> ?o }} }} WHERE {{ BIND({call} AS ?o) }}"
    else:
        update = f"INSERT DATA {{ GRAPH <http://e/g> {{ <http://e/s> <http://e/p> {term} }} }}"
    if quoted == "term":
        update = f"INSERT DATA {{ GRAPH <http://e/g> {{ <http://e/s> <http://e/p> <<( <http://e/s> <http://e/p> {term} )>> }} }}"
    elif quoted == "reified":
        update = f"INSERT DATA {{ GRAPH <http://e/g> {{ << <http://e/s> <http://e/p> {term} >> <http://e/p> 1 }} }}"
    elif quoted == "function":
        update = (f"INSERT {{ GRAPH <http://e/g> {{ <http://e/s> <http://e/p> ?t }} }} "
                  f"WHERE {{ BIND(TRIPLE(<http://e/s>, <http://e/p>, {term}) AS ?t) }}")
    store = ox.Store()
    problem = rdf_safety.update_problem(update)
    if problem is None:
        try:
            store.update(update)
        except SyntaxError:
            return  # the engine refused it itself
        assert _round_trips(store), (update, _nq(store))
    else:
        assert quoted or not language and datatype in rdf_safety.NEED_LANGUAGE, (update, problem)


def test_updates_that_write_a_language_datatype_without_a_tag_are_refused():
    prefix = f"PREFIX rdf: <{RDF}> "
    refused = [
        prefix + 'INSERT DATA { <http://e/s> <http://e/p> "x"^^rdf:langString }',
        f'INSERT DATA {{ GRAPH <http://e/g> {{ <http://e/s> <http://e/p> "x"^^<{RDF}dirLangString> }} }}',
        'INSERT { <http://e/s> <http://e/p> ?o } WHERE { BIND(STRDT("x", DATATYPE("a"@de)) AS ?o) }',
        'INSERT { <http://e/s> <http://e/p> ?o } WHERE { ?x <http://e/t> ?t BIND(STRDT("x", ?t) AS ?o) }',
        prefix + 'INSERT { <http://e/s> <http://e/p> ?o } WHERE { BIND(rdf:langString("x") AS ?o) }',
        # the IRI spelled so that "langString" is nowhere in the text
        f'PREFIX r: <{RDF}la> INSERT DATA {{ <http://e/s> <http://e/p> "x"^^r:ngString }}',
        'INSERT DATA { <http://e/s> <http://e/p> "x"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns\\u0023lang\\u0053tring> }',
        f'BASE <{RDF[:-1]}> INSERT DATA {{ <http://e/s> <http://e/p> "x"^^<#dirLangString> }}',
        'INSERT { <http://e/s> <http://e/p> ?o } WHERE { BIND(STRDT(STR(STRDT("1", <http://e/t>)), ?t) AS ?o) }',
    ]
    for update in refused:
        message = rdf_safety.update_problem(update)
        assert message is not None and ("language tag" in message or "fixed datatype" in message), update
    allowed = [
        prefix + 'DELETE WHERE { GRAPH ?g { ?s ?p ?o FILTER(DATATYPE(?o) = rdf:langString) } }',
        'INSERT DATA { <http://e/s> <http://e/p> "x"@de, "y"^^<http://www.w3.org/2001/XMLSchema#date> }',
        f'INSERT {{ <http://e/s> <http://e/p> ?o }} WHERE {{ BIND(STRDT("1", <{XSD}integer>) AS ?o) }}',
        'INSERT DATA { <http://e/s> <http://e/p> "mentions rdf:langString and STRDT in a string" }',
    ]
    assert [rdf_safety.update_problem(u) for u in allowed] == [None] * len(allowed)


def test_triple_terms_are_refused_in_updates():
    for update in ('INSERT DATA { <http://e/s> <http://e/p> <<( <http://e/s> <http://e/p> 1 )>> }',
                   'INSERT DATA { <<<http://e/s> <http://e/p> 1>> <http://e/p> 1 }',
                   'INSERT { <http://e/s> <http://e/p> ?t } WHERE { BIND(triple(?s, ?p, ?o) AS ?t) ?s ?p ?o }'):
        assert "triple term" in rdf_safety.update_problem(update), update
    # "<" comparisons, IRIs and strings with "<<" are no triple terms
    for update in ('INSERT { <http://e/s> <http://e/p> ?o } WHERE { ?s <http://e/p> ?o FILTER(?o < <http://e/x>) }',
                   'INSERT DATA { <http://e/s> <http://e/p> "a << b", "TRIPLE(x)" }'):
        assert rdf_safety.update_problem(update) is None, update


def test_loaded_graph_with_such_a_literal_is_found():
    # pyoxigraph's RDF/XML and JSON-LD parsers accept it (its Turtle and N-Quads parsers do not).
    rdfxml = (f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:e="http://e/"><rdf:Description rdf:about="http://e/s">'
              f'<e:p rdf:datatype="{RDF}langString">x</e:p></rdf:Description></rdf:RDF>').encode()
    store = ox.Store()
    store.bulk_load(rdfxml, ox.RdfFormat.RDF_XML, to_graph=ox.NamedNode("http://e/g"))
    message = rdf_safety.store_problem(store, "http://e/g")
    assert message is not None and "<http://e/s>" in message and "language tag" in message
    assert not _round_trips(store)  # what the check prevents
    clean = ox.Store()
    clean.bulk_load(rdfxml.replace(b"langString", b"PlainLiteral"), ox.RdfFormat.RDF_XML,
                    to_graph=ox.NamedNode("http://e/g"))
    assert rdf_safety.store_problem(clean, "http://e/g") is None


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">
<rdf:Description rdf:about="http://e/s"><e:p>&c;</e:p></rdf:Description></rdf:RDF>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY x SYSTEM "file:///etc/hostname"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">
<rdf:Description rdf:about="http://e/s"><e:p>&x;</e:p></rdf:Description></rdf:RDF>"""


def test_both_parsers_expand_entities_so_the_check_must_come_first():
    # Three levels: 1,000 characters from 10. Nine levels are 10^9.
    assert len(next(iter(ox.parse(LAUGHS, ox.RdfFormat.RDF_XML))).object.value) == 1000
    assert len(str(next(rdflib.Graph().parse(data=LAUGHS, format="xml").objects()))) == 1000


def test_entity_declarations_and_external_dtds_are_refused():
    for document in (LAUGHS, XXE, LAUGHS.decode().encode("utf-16")):
        message = rdf_safety.rdfxml_problem(document)
        assert message is not None and "entities" in message
    external = b'<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "http://e/rdf.dtd"><rdf:RDF/>'
    assert "external DTD" in rdf_safety.rdfxml_problem(external)
    plain = b'<?xml version="1.0"?><!DOCTYPE rdf:RDF><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    assert rdf_safety.rdfxml_problem(plain) is None
    mention = b'<rdf:RDF><e:p>&lt;!DOCTYPE x [&lt;!ENTITY a "b"&gt;]&gt;</e:p></rdf:RDF>'
    assert rdf_safety.rdfxml_problem(mention) is None


def test_json_nesting_is_measured_outside_strings_and_across_chunks():
    deep = b'{"@id": "http://e/s", ' + b'"http://e/p": {' * (rdf_safety.MAX_JSON_DEPTH + 1) + b'"@value": 1' \
        + b"}" * (rdf_safety.MAX_JSON_DEPTH + 2)
    for chunk in (7, 1 << 20):
        assert "levels deep" in rdf_safety.jsonld_problem(io.BytesIO(deep), chunk_bytes=chunk)
    braces_in_strings = b'{"a": "' + b"{[" * 1000 + b'", "b": [[1]], "c": "\\"{{"}'
    for chunk in (3, 1 << 20):
        assert rdf_safety.jsonld_problem(io.BytesIO(braces_in_strings), chunk_bytes=chunk) is None
