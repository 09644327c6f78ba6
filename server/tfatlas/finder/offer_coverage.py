"""Coverage of the offers (issue 15): per topic of the brief and per ministry how many offers, and per
offer which details a Bedarfsträger needs are missing (`tfatlas stats --coverage`). The topic ×
provider overview of /overview is `finder.coverage` (search.py); this module has its own name so
that importing it never shadows that function on the package. Works on any store whose query()
yields rows of terms (the embedded and the remote store alike)."""

from __future__ import annotations

TFA = "https://w3id.org/tfatlas/ontology#"
TOPIC = "https://w3id.org/tfatlas/id/topic/"
BRIEF_TOPICS = ("new-work", "projektmanagement", "agilitaet", "digitalkompetenzen", "ki", "prozessmanagement")
ENGLISH = "English title and description"
BRIEF_TOPIC = "topic of the brief"
# The details in the order the report shows them; the value is the property an offer needs.
DETAILS = {
    "provider": f"<{TFA}providedBy>",
    "audience": "<http://purl.org/dc/terms/audience>",
    "offer type": "<http://purl.org/dc/terms/type>",
    "delivery mode": f"<{TFA}deliveryMode>",
    "cost model": f"<{TFA}costModel>",
    "contact point": "<http://www.w3.org/ns/dcat#contactPoint>",
}

PREFIXES = """PREFIX tfa: <https://w3id.org/tfatlas/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX cv: <http://data.europa.eu/m8g/>
"""
OFFERS = PREFIXES + """SELECT ?o (SAMPLE(?l) AS ?label) WHERE {
  ?o a tfa:Offer . OPTIONAL { ?o rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "de")) }
} GROUP BY ?o"""
HAS = PREFIXES + "SELECT DISTINCT ?o WHERE {{ ?o a tfa:Offer ; {p} ?x }}"
HAS_ENGLISH = PREFIXES + """SELECT DISTINCT ?o WHERE {
  ?o a tfa:Offer ; rdfs:label ?l ; dct:description ?d FILTER(LANG(?l) = "en" && LANG(?d) = "en")
}"""
ON_BRIEF_TOPIC = PREFIXES + """SELECT DISTINCT ?o WHERE {
  VALUES ?t { %s }
  ?o a tfa:Offer ; tfa:hasTopic ?x . ?x skos:broader* ?t .
}"""
PER_TOPIC = PREFIXES + """SELECT ?t (COUNT(DISTINCT ?o) AS ?n) WHERE {
  VALUES ?t { %s }
  ?o a tfa:Offer ; tfa:hasTopic ?x . ?x skos:broader* ?t .
} GROUP BY ?t"""
# German federal ministries are named "Bundesministerium …", except the Foreign Office. A ministry's
# offers are those of the ministry, of its units and bodies (transitively), and of units that are its
# members now (an org:Membership whose period has no end).
PER_MINISTRY = PREFIXES + """SELECT ?m (SAMPLE(?ml) AS ?label) (COUNT(DISTINCT ?o) AS ?n) WHERE {
  ?m a cv:PublicOrganisation ; rdfs:label ?ml .
  FILTER(LANGMATCHES(LANG(?ml), "de") && (STRSTARTS(STR(?ml), "Bundesministerium") || STR(?ml) = "Auswärtiges Amt"))
  OPTIONAL {
    ?o a tfa:Offer ; tfa:providedBy ?p .
    {
      ?p (org:unitOf|org:subOrganizationOf)* ?m .
    } UNION {
      ?p (org:unitOf|org:subOrganizationOf)* ?x .
      ?membership org:member ?x ; org:organization ?y .
      FILTER NOT EXISTS { ?membership org:memberDuring/time:hasEnd ?end }
      ?y (org:unitOf|org:subOrganizationOf)* ?m .
    }
  }
} GROUP BY ?m"""


def _value(term):
    return None if term is None else term.value


def _offers_having(store, sparql: str) -> set[str]:
    return {row["o"].value for row in store.query(sparql)}


def offer_coverage(store) -> dict:
    """Offers per brief topic and per ministry, how many offers have each detail, and what each lacks."""
    labels = {row["o"].value: _value(row["label"]) for row in store.query(OFFERS)}
    present = {name: _offers_having(store, HAS.format(p=p)) for name, p in DETAILS.items()}
    present[ENGLISH] = _offers_having(store, HAS_ENGLISH)
    brief = " ".join(f"<{TOPIC}{t}>" for t in BRIEF_TOPICS)
    present[BRIEF_TOPIC] = _offers_having(store, ON_BRIEF_TOPIC % brief)
    per_topic = dict.fromkeys(BRIEF_TOPICS, 0)
    for row in store.query(PER_TOPIC % brief):
        per_topic[row["t"].value[len(TOPIC):]] = int(row["n"].value)
    ministries = sorted(({"ministry": row["m"].value, "label": _value(row["label"]), "offers": int(row["n"].value)}
                         for row in store.query(PER_MINISTRY)), key=lambda m: (-m["offers"], m["label"] or ""))
    missing = []
    for offer in sorted(labels):
        lacking = [detail for detail, have in present.items() if offer not in have]
        if lacking:
            missing.append({"offer": offer, "label": labels[offer], "missing": lacking})
    return {"offers": len(labels), "perTopic": per_topic, "perMinistry": ministries,
            "complete": {detail: len(have & labels.keys()) for detail, have in present.items()},
            "missing": missing}
