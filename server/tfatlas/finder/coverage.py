"""Coverage of the offers: per topic of the brief and per ministry how many offers, and per offer
which details are missing (issue 15). Works on any store whose query() yields rows of terms."""

from __future__ import annotations

TFA = "https://w3id.org/tfatlas/ontology#"
TOPIC = "https://w3id.org/tfatlas/id/topic/"
BRIEF_TOPICS = ("new-work", "projektmanagement", "agilitaet", "digitalkompetenzen", "ki", "prozessmanagement")
# The details a Bedarfsträger needs, in the order the report shows them.
DETAILS = {
    "provider": f"<{TFA}providedBy>",
    "audience": "<http://purl.org/dc/terms/audience>",
    "offer type": "<http://purl.org/dc/terms/type>",
    "delivery mode": f"<{TFA}deliveryMode>",
    "cost model": f"<{TFA}costModel>",
    "contact point": "<http://www.w3.org/ns/dcat#contactPoint>",
}

OFFERS = f"SELECT DISTINCT ?o WHERE {{ ?o a <{TFA}Offer> }}"
HAS = "SELECT DISTINCT ?o WHERE {{ ?o a <" + TFA + "Offer> ; {p} ?x }}"
ENGLISH = (f"SELECT DISTINCT ?o WHERE {{ ?o a <{TFA}Offer> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l ;"
           " <http://purl.org/dc/terms/description> ?d FILTER(LANG(?l) = 'en' && LANG(?d) = 'en') }")
PER_TOPIC = (f"SELECT ?t (COUNT(DISTINCT ?o) AS ?n) WHERE {{ VALUES ?t {{ {{topics}} }} ?o a <{TFA}Offer> ;"
             f" <{TFA}hasTopic> ?x . ?x <http://www.w3.org/2004/02/skos/core#broader>* ?t }} GROUP BY ?t")
# A ministry's offers: those of the ministry, of its units and of bodies in its portfolio (transitively).
PER_MINISTRY = (f"SELECT ?m (COUNT(DISTINCT ?o) AS ?n) WHERE {{ ?m a <http://data.europa.eu/m8g/PublicOrganisation> ;"
                " <http://www.w3.org/2000/01/rdf-schema#label> ?ml FILTER(STRSTARTS(STR(?ml), 'Bundesministerium'))"
                f" ?o a <{TFA}Offer> ; <{TFA}providedBy> ?p ."
                " ?p (<http://www.w3.org/ns/org#unitOf>|<http://www.w3.org/ns/org#subOrganizationOf>)* ?m } GROUP BY ?m")


def _iris(store, sparql: str) -> set[str]:
    return {row["o"].value for row in store.query(sparql)}


def coverage(store) -> dict:
    """Offers per brief topic and per ministry, and the missing details of each offer."""
    offers = _iris(store, OFFERS)
    present = {name: _iris(store, HAS.format(p=p)) for name, p in DETAILS.items()}
    present["English title and description"] = _iris(store, ENGLISH)
    missing = {o: [d for d, have in present.items() if o not in have] for o in sorted(offers)}
    topics_values = " ".join(f"<{TOPIC}{t}>" for t in BRIEF_TOPICS)
    per_topic = {t: 0 for t in BRIEF_TOPICS}
    for row in store.query(PER_TOPIC.replace("{topics}", topics_values)):
        per_topic[row["t"].value[len(TOPIC):]] = int(row["n"].value)
    per_ministry = {row["m"].value: int(row["n"].value) for row in store.query(PER_MINISTRY)}
    return {"offers": len(offers), "perTopic": per_topic, "perMinistry": per_ministry,
            "complete": {d: len(have & offers) for d, have in present.items()},
            "missing": {o: m for o, m in missing.items() if m}}
