"""Deterministic generator of realistic Transformationsatlas data, as N-Triples.

Follows docs/model.md: the seven SKOS concept schemes (topics with the six workshop topics and
their narrower concepts, challenges, target groups, offer types, delivery modes, cost models,
competencies), then blocks of one transformation actor each (public body, GmbH or e.V.) with its
organisational units, contact point, source page, initiatives, offers and events; every few
actors a network and now and then a reorganisation. Labels and descriptions in German (always)
and English, dates as xsd:date, concepts always from the right scheme, offers always provided
by an actor or unit.

Concepts come from the repository's own schemes in ontology/vocabularies/ (copied into the
output, so a generated file stands on its own and agrees with the model on every concept);
schemes not shipped there, or all with --builtin-vocabularies, come from lists in this file.

Streaming and constant memory: one block is built, written and forgotten. The same seed, target
and vocabularies give the same bytes.

    python bench/generate.py --triples 100000 --out bench/data/100k.nt
    python bench/generate.py --preset 1M            # writes bench/data/1M.nt
    python bench/generate.py --preset 10k --out bench/data/10k.nt.gz

From Python (bench/ on sys.path)::

    from generate import generate
    written = generate(100_000, "bench/data/100k.nt", seed=7)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import random
import sys
import time
from pathlib import Path
from typing import BinaryIO, Iterator

PRESETS = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
DEFAULT_BASE = "https://w3id.org/tfatlas/"
DEFAULT_SEED = 20240425  # the day of the BMI workshop
SHIPPED_VOCABULARIES = Path(__file__).resolve().parent.parent / "ontology" / "vocabularies"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
ORG = "http://www.w3.org/ns/org#"
CV = "http://data.europa.eu/m8g/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
# The ontology namespace is fixed (docs/model.md); only instance IRIs follow the base.
TFA = "https://w3id.org/tfatlas/ontology#"
VCARD = "http://www.w3.org/2006/vcard/ns#"

TYPE = f"<{RDF}type>"
LABEL = f"<{RDFS}label>"

# -- concept schemes: (slug, de, en, narrower [(slug, de, en)]) ------------------------------

TOPICS = [
    ("new-work", "New Work", "New Work", [
        ("hybride-zusammenarbeit", "Hybride Zusammenarbeit", "Hybrid collaboration"),
        ("fuehrung-auf-distanz", "Führung auf Distanz", "Remote leadership"),
        ("arbeitsplatzkonzepte", "Arbeitsplatzkonzepte", "Workplace concepts"),
    ]),
    ("projektmanagement", "Projektmanagement", "Project management", [
        ("klassisches-projektmanagement", "Klassisches Projektmanagement", "Traditional project management"),
        ("hybrides-projektmanagement", "Hybrides Projektmanagement", "Hybrid project management"),
        ("portfoliomanagement", "Portfoliomanagement", "Portfolio management"),
    ]),
    ("agilitaet", "Agilität", "Agility", [
        ("scrum", "Scrum", "Scrum"),
        ("kanban", "Kanban", "Kanban"),
        ("design-thinking", "Design Thinking", "Design thinking"),
        ("okr", "Objectives and Key Results", "Objectives and key results"),
    ]),
    ("digitalkompetenzen", "Digitalkompetenzen", "Digital skills", [
        ("datenkompetenz", "Datenkompetenz", "Data literacy"),
        ("it-sicherheit", "IT-Sicherheit", "IT security"),
        ("digitale-barrierefreiheit", "Digitale Barrierefreiheit", "Digital accessibility"),
        ("open-source", "Open Source", "Open source"),
    ]),
    ("ki", "Künstliche Intelligenz", "Artificial intelligence", [
        ("generative-ki", "Generative KI", "Generative AI"),
        ("maschinelles-lernen", "Maschinelles Lernen", "Machine learning"),
        ("ki-ethik", "KI-Ethik und Regulierung", "AI ethics and regulation"),
    ]),
    ("prozessmanagement", "Prozessmanagement", "Process management", [
        ("prozessmodellierung", "Prozessmodellierung", "Process modelling"),
        ("prozessautomatisierung", "Prozessautomatisierung", "Process automation"),
        ("ende-zu-ende-digitalisierung", "Ende-zu-Ende-Digitalisierung", "End-to-end digitalisation"),
    ]),
]

CHALLENGES = [
    ("fachkraeftemangel", "Fachkräftemangel", "Skills shortage", [
        ("wissenstransfer-ruhestand", "Wissenstransfer vor dem Ruhestand", "Knowledge transfer before retirement"),
        ("gewinnung-it-fachkraefte", "Gewinnung von IT-Fachkräften", "Recruiting IT specialists"),
    ]),
    ("digitalisierung-von-verfahren", "Digitalisierung von Verfahren", "Digitalising procedures", [
        ("ozg-umsetzung", "OZG-Umsetzung", "Implementing the Online Access Act"),
        ("e-akte-einfuehrung", "Einführung der E-Akte", "Introducing electronic files"),
        ("registermodernisierung", "Registermodernisierung", "Register modernisation"),
    ]),
    ("kulturwandel", "Kulturwandel", "Cultural change", [
        ("fehlerkultur", "Fehlerkultur", "Error culture"),
        ("silodenken-ueberwinden", "Silodenken überwinden", "Overcoming silo thinking"),
    ]),
    ("veraenderungsmanagement", "Veränderungsmanagement", "Change management", [
        ("widerstaende-im-wandel", "Widerstände im Wandel", "Resistance to change"),
        ("reorganisation", "Reorganisation", "Reorganisation"),
    ]),
    ("steuerung-grosser-vorhaben", "Steuerung großer Vorhaben", "Steering large programmes", [
        ("priorisierung", "Priorisierung", "Prioritisation"),
        ("vergabe-agiler-leistungen", "Vergabe agiler Leistungen", "Procuring agile services"),
    ]),
    ("datennutzung", "Datennutzung", "Using data", [
        ("datenschutz-in-projekten", "Datenschutz in Projekten", "Data protection in projects"),
        ("datenqualitaet", "Datenqualität", "Data quality"),
    ]),
    ("nutzerzentrierung", "Nutzerzentrierung", "User centricity", [
        ("nutzerforschung", "Nutzerforschung", "User research"),
        ("verstaendliche-sprache", "Verständliche Sprache", "Plain language"),
    ]),
]

TARGET_GROUPS = [
    ("fuehrungskraefte", "Führungskräfte", "Managers", [
        ("referatsleitungen", "Referatsleitungen", "Heads of division"),
        ("abteilungsleitungen", "Abteilungsleitungen", "Heads of directorate"),
    ]),
    ("beschaeftigte", "Beschäftigte", "Employees", [
        ("sachbearbeitung", "Sachbearbeitung", "Case workers"),
        ("nachwuchskraefte", "Nachwuchskräfte", "Trainees"),
    ]),
    ("projektteams", "Projektteams", "Project teams", []),
    ("it-fachkraefte", "IT-Fachkräfte", "IT specialists", []),
    ("organisationseinheiten", "Organisationseinheiten", "Organisational units", [
        ("organisationsreferate", "Organisationsreferate", "Organisation divisions"),
        ("personalreferate", "Personalreferate", "Human resources divisions"),
    ]),
    ("digitallotsen", "Digitallotsinnen und Digitallotsen", "Digital guides", []),
]

OFFER_TYPES = [
    ("schulung", "Schulung", "Training", [
        ("e-learning-kurs", "E-Learning-Kurs", "E-learning course"),
        ("workshop", "Workshop", "Workshop"),
    ]),
    ("beratung", "Beratung", "Consulting", [
        ("coaching", "Coaching", "Coaching"),
        ("sprechstunde", "Sprechstunde", "Office hours"),
    ]),
    ("begleitung", "Projektbegleitung", "Project support", []),
    ("vernetzung", "Vernetzungsformat", "Networking format", [
        ("community-of-practice", "Community of Practice", "Community of practice"),
        ("barcamp", "Barcamp", "Barcamp"),
    ]),
    ("werkzeug", "Werkzeug oder Methode", "Tool or method", []),
    ("informationsangebot", "Informationsangebot", "Information resource", []),
]

DELIVERY_MODES = [
    ("praesenz", "Präsenz", "On site", []),
    ("online", "Online", "Online", [
        ("live-online", "Live online", "Live online"),
        ("selbstlernend", "Selbstlernend", "Self-paced"),
    ]),
    ("hybrid", "Hybrid", "Hybrid", []),
    ("vor-ort-in-der-behoerde", "Vor Ort in der Behörde", "At the authority's premises", []),
]

COST_MODELS = [
    ("kostenfrei", "Kostenfrei", "Free of charge", []),
    ("kostenpflichtig", "Kostenpflichtig", "Charged", [
        ("pauschal", "Pauschalpreis", "Flat fee"),
        ("nach-aufwand", "Nach Aufwand", "Time and materials"),
    ]),
    ("interne-leistungsverrechnung", "Interne Leistungsverrechnung", "Internal charging", []),
    ("rahmenvertrag", "Über Rahmenvertrag", "Via framework contract", []),
]

COMPETENCIES = [
    ("methodenkompetenz", "Methodenkompetenz", "Methodological competence", [
        ("moderation", "Moderation", "Facilitation", "http://data.europa.eu/esco/skill/"),
        ("agile-methoden-anwenden", "Agile Methoden anwenden", "Applying agile methods", None),
        ("prozesse-modellieren", "Prozesse modellieren", "Modelling processes", None),
    ]),
    ("digitale-kompetenz", "Digitale Kompetenz", "Digital competence", [
        ("informations-und-datenkompetenz", "Informations- und Datenkompetenz", "Information and data literacy",
         "https://w3id.org/digcomp/area/1"),
        ("kommunikation-und-zusammenarbeit", "Kommunikation und Zusammenarbeit",
         "Communication and collaboration", "https://w3id.org/digcomp/area/2"),
        ("erstellung-digitaler-inhalte", "Erstellung digitaler Inhalte", "Digital content creation",
         "https://w3id.org/digcomp/area/3"),
        ("sicherheit", "Sicherheit", "Safety", "https://w3id.org/digcomp/area/4"),
        ("problemloesung", "Problemlösung", "Problem solving", "https://w3id.org/digcomp/area/5"),
    ]),
    ("fuehrungskompetenz", "Führungskompetenz", "Leadership competence", [
        ("teams-fuehren", "Teams führen", "Leading teams", None),
        ("veraenderung-gestalten", "Veränderung gestalten", "Shaping change", None),
    ]),
    ("fachkompetenz-ki", "KI-Kompetenz", "AI competence", [
        ("prompting", "Prompting", "Prompting", None),
        ("ki-einsatz-bewerten", "KI-Einsatz bewerten", "Assessing AI use", None),
    ]),
    ("soziale-kompetenz", "Soziale Kompetenz", "Social competence", [
        ("konfliktloesung", "Konfliktlösung", "Conflict resolution", None),
        ("kommunikation", "Kommunikation", "Communication", None),
    ]),
]

# scheme name -> (concept kind, German title, English title, concepts)
SCHEMES = {
    "topics": ("topic", "Themen", "Topics", TOPICS),
    "challenges": ("challenge", "Herausforderungen", "Challenges", CHALLENGES),
    "target-groups": ("target-group", "Zielgruppen", "Target groups", TARGET_GROUPS),
    "offer-types": ("offer-type", "Angebotsarten", "Offer types", OFFER_TYPES),
    "delivery-modes": ("delivery-mode", "Durchführungsformen", "Delivery modes", DELIVERY_MODES),
    "cost-models": ("cost-model", "Kostenmodelle", "Cost models", COST_MODELS),
    "competencies": ("competency", "Kompetenzen", "Competencies", COMPETENCIES),
}

# -- words for actors, offers and initiatives ------------------------------------------------

MINISTRY_FIELDS = [
    ("Inneres und Heimat", "the Interior and Community", "bmi"),
    ("Digitales und Staatsmodernisierung", "Digital Transformation and Government Modernisation", "bmds"),
    ("Finanzen", "Finance", "bmf"),
    ("Arbeit und Soziales", "Labour and Social Affairs", "bmas"),
    ("Bildung, Familie, Senioren, Frauen und Jugend", "Education, Family Affairs, Senior Citizens, Women and Youth", "bmbfsfj"),
    ("Gesundheit", "Health", "bmg"),
    ("Wirtschaft und Energie", "Economic Affairs and Energy", "bmwe"),
    ("Verkehr", "Transport", "bmv"),
    ("Umwelt, Klimaschutz, Naturschutz und nukleare Sicherheit", "the Environment, Climate Action, Nature Conservation and Nuclear Safety", "bmukn"),
    ("Justiz und Verbraucherschutz", "Justice and Consumer Protection", "bmjv"),
    ("Forschung, Technologie und Raumfahrt", "Research, Technology and Space", "bmftr"),
    ("Landwirtschaft, Ernährung und Heimat", "Agriculture, Food and Regional Identity", "bmleh"),
]
AGENCY_FIELDS = [
    ("Bundesverwaltungsamt", "Federal Office of Administration", "bva"),
    ("Bundesamt für Sicherheit in der Informationstechnik", "Federal Office for Information Security", "bsi"),
    ("Informationstechnikzentrum Bund", "Federal Information Technology Centre", "itzbund"),
    ("Bundesakademie für öffentliche Verwaltung", "Federal Academy of Public Administration", "bakoev"),
    ("Statistisches Bundesamt", "Federal Statistical Office", "destatis"),
    ("Bundesamt für Migration und Flüchtlinge", "Federal Office for Migration and Refugees", "bamf"),
    ("Bundeszentralamt für Steuern", "Federal Central Tax Office", "bzst"),
    ("Bundesagentur für Arbeit", "Federal Employment Agency", "ba"),
]
COMPANY_STEMS = [
    ("DigitalService", "DigitalService"), ("Zentrum für Digitale Souveränität", "Centre for Digital Sovereignty"),
    ("GovTech Werkstatt", "GovTech Workshop"), ("Verwaltungslabor", "Administration Lab"),
    ("Innovationsagentur", "Innovation Agency"), ("Datenlabor", "Data Lab"),
    ("Agile Verwaltung", "Agile Administration"), ("Beratungszentrum", "Advisory Centre"),
]
ASSOCIATION_STEMS = [
    ("Netzwerk Digitale Verwaltung", "Digital Administration Network"),
    ("Nächste Generation Verwaltung", "Next Generation Administration"),
    ("Forum Verwaltungsmodernisierung", "Public Sector Modernisation Forum"),
    ("Initiative Offene Verwaltung", "Open Administration Initiative"),
    ("Verein für Prozessexzellenz", "Association for Process Excellence"),
]
CITIES = ["Berlin", "Bonn", "Köln", "Frankfurt am Main", "Hamburg", "München", "Leipzig",
          "Brühl", "Wiesbaden", "Nürnberg", "Potsdam", "Halle (Saale)", "Düsseldorf", "Mannheim"]
UNIT_KINDS = [("Referat", "Division"), ("Stabsstelle", "Staff unit"), ("Kompetenzzentrum", "Competence centre"),
              ("Projektgruppe", "Project group"), ("Team", "Team"), ("Servicezentrum", "Service centre")]
OFFER_FORMS = [
    ("Einführung in {}", "Introduction to {}"), ("{} kompakt", "{} in brief"),
    ("{} für Führungskräfte", "{} for managers"), ("Praxiswerkstatt {}", "Hands-on workshop: {}"),
    ("Sprechstunde {}", "Office hours: {}"), ("Coaching {}", "Coaching: {}"),
    ("Lernpfad {}", "Learning path: {}"), ("Community of Practice {}", "Community of practice: {}"),
    ("{} in der Praxis", "{} in practice"), ("Selbstlernkurs {}", "Self-paced course: {}"),
]
INITIATIVE_FORMS = [
    ("Pilotprojekt {}", "Pilot project: {}"), ("Programm {}", "Programme: {}"),
    ("Initiative {}", "Initiative: {}"), ("Modernisierungsvorhaben {}", "Modernisation project: {}"),
]
EVENT_FORMS = [
    ("Fachtag {}", "Expert day: {}"), ("Barcamp {}", "Barcamp: {}"),
    ("Netzwerktreffen {}", "Network meeting: {}"), ("Werkstattgespräch {}", "Workshop talk: {}"),
]
DESCRIPTION_DE = [
    "Das Angebot richtet sich an {tg} und unterstützt bei {ch}.",
    "Praxisnah und mit Beispielen aus der Bundesverwaltung vermittelt {who} Grundlagen zu {tp}.",
    "Gemeinsam mit den Teilnehmenden werden Lösungen für {ch} erarbeitet.",
    "Im Mittelpunkt stehen {tp} und der Transfer in den Arbeitsalltag.",
]
DESCRIPTION_EN = [
    "The offer is aimed at {tg} and helps with {ch}.",
    "With examples from the federal administration, {who} teaches the basics of {tp}.",
    "Together with the participants, solutions for {ch} are developed.",
    "The focus is on {tp} and the transfer into everyday work.",
]

_SLUG = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slugify(text: str) -> str:
    """Lower-case ASCII with umlauts spelt out (docs/model.md)."""
    out = []
    for ch in text.translate(_SLUG).lower():
        out.append(ch if ("a" <= ch <= "z" or "0" <= ch <= "9") else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


def lit(text: str, lang: str | None = None) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r"))
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def typed(value: str, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


class _Concepts:
    """The concepts of one scheme: IRIs, labels, and the lists to draw from."""

    def __init__(self, base: str, kind: str, rows):
        self.iris: list[str] = []
        self.labels: dict[str, tuple[str, str]] = {}
        for top in rows:
            slug, de, en, narrower = top
            self._add(base, kind, slug, de, en)
            for n in narrower:
                self._add(base, kind, n[0], n[1], n[2])

    def _add(self, base, kind, slug, de, en):
        iri = f"<{base}id/{kind}/{slug}>"
        self.iris.append(iri)
        self.labels[iri] = (de, en)


class _ShippedConcepts(_Concepts):
    """The concepts of one scheme as the repository ships them (ontology/vocabularies/)."""

    def __init__(self, rows: list[tuple[str, str, str]]):
        self.iris = [iri for iri, _, _ in rows]
        self.labels = {iri: (de, en) for iri, de, en in rows}


def shipped_vocabularies(directory: Path, base: str) -> tuple[dict[str, _Concepts], list[str]]:
    """Concepts per scheme name, and every triple of the files as N-Triples lines (sorted)."""
    import pyoxigraph as ox

    store = ox.Store()
    for path in sorted(directory.glob("*.ttl")):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    lines = sorted(f"{q.subject} {q.predicate} {q.object} ." for q in store)
    found: dict[str, _Concepts] = {}
    for name in SCHEMES:
        rows = []
        for r in store.query(f"""
            SELECT ?c (SAMPLE(?de) AS ?d) (SAMPLE(?en) AS ?e) WHERE {{
              ?c <{SKOS}inScheme> <{base}id/scheme/{name}> ; <{SKOS}prefLabel> ?de .
              FILTER(LANG(?de) = "de")
              OPTIONAL {{ ?c <{SKOS}prefLabel> ?en FILTER(LANG(?en) = "en") }}
            }} GROUP BY ?c ORDER BY ?c"""):
            de = r["d"].value
            rows.append((str(r["c"]), de, r["e"].value if r["e"] is not None else de))
        if rows:
            found[name] = _ShippedConcepts(rows)
    return found, lines


class Generator:
    def __init__(self, seed: int = DEFAULT_SEED, base_iri: str = DEFAULT_BASE,
                 vocabularies: Path | None = None):
        self.rng = random.Random(seed)
        self.base = base_iri if base_iri.endswith("/") else base_iri + "/"
        self.concepts = {name: _Concepts(self.base, kind, rows)
                         for name, (kind, _, _, rows) in SCHEMES.items()}
        self.shipped_lines: list[str] = []
        self.shipped: set[str] = set()
        if vocabularies is not None and vocabularies.is_dir():
            # The repository's own schemes win, so generated data and the model agree on every
            # concept (one @de prefLabel each); built-in lists fill in schemes not shipped.
            shipped, self.shipped_lines = shipped_vocabularies(vocabularies, self.base)
            for name, concepts in shipped.items():
                self.concepts[name] = concepts
                self.shipped.add(name)
        self.actors: list[str] = []  # recent actor IRIs, for networks and reorganisations
        self.day0 = dt.date(2023, 1, 1).toordinal()
        self.days = dt.date(2025, 12, 31).toordinal() - self.day0

    # -- helpers ---------------------------------------------------------------------------

    def iri(self, kind: str, slug: str) -> str:
        return f"<{self.base}id/{kind}/{slug}>"

    def date(self) -> str:
        return typed(dt.date.fromordinal(self.day0 + self.rng.randrange(self.days)).isoformat(), "date")

    def pick(self, scheme: str, low: int, high: int) -> list[str]:
        iris = self.concepts[scheme].iris
        return self.rng.sample(iris, self.rng.randint(low, min(high, len(iris))))

    def label(self, concept: str, lang: int) -> str:
        for c in self.concepts.values():
            if concept in c.labels:
                return c.labels[concept][lang]
        raise KeyError(concept)

    # -- the concept schemes ---------------------------------------------------------------

    def schemes(self) -> list[str]:
        lines: list[str] = list(self.shipped_lines)
        add = lines.append
        for name, (kind, title_de, title_en, rows) in SCHEMES.items():
            if name in self.shipped:
                continue
            scheme = f"<{self.base}id/scheme/{name}>"
            add(f"{scheme} {TYPE} <{SKOS}ConceptScheme> .")
            add(f"{scheme} <{SKOS}prefLabel> {lit(title_de, 'de')} .")
            add(f"{scheme} <{SKOS}prefLabel> {lit(title_en, 'en')} .")
            add(f"{scheme} <{DCT}title> {lit(title_de, 'de')} .")
            add(f"{scheme} <{DCT}title> {lit(title_en, 'en')} .")
            for slug, de, en, narrower in rows:
                top = f"<{self.base}id/{kind}/{slug}>"
                self._concept(add, top, scheme, de, en)
                add(f"{top} <{SKOS}topConceptOf> {scheme} .")
                add(f"{scheme} <{SKOS}hasTopConcept> {top} .")
                for row in narrower:
                    child = f"<{self.base}id/{kind}/{row[0]}>"
                    self._concept(add, child, scheme, row[1], row[2])
                    add(f"{child} <{SKOS}broader> {top} .")
                    add(f"{top} <{SKOS}narrower> {child} .")
                    if len(row) > 3 and row[3]:
                        match = row[3] + (row[0] if row[3].endswith("/") else "")
                        add(f"{child} <{SKOS}closeMatch> <{match}> .")
        return lines

    def _concept(self, add, iri, scheme, de, en):
        add(f"{iri} {TYPE} <{SKOS}Concept> .")
        add(f"{iri} <{SKOS}prefLabel> {lit(de, 'de')} .")
        add(f"{iri} <{SKOS}prefLabel> {lit(en, 'en')} .")
        add(f"{iri} <{SKOS}inScheme> {scheme} .")
        add(f"{iri} <{SKOS}definition> {lit(f'{de}: ein Begriff des Transformationsatlas.', 'de')} .")
        add(f"{iri} <{SKOS}definition> {lit(f'{en}: a concept of the Transformationsatlas.', 'en')} .")

    # -- one actor with everything around it ------------------------------------------------

    def block(self, n: int) -> list[str]:
        rng = self.rng
        lines: list[str] = []
        add = lines.append
        kind = rng.random()
        if kind < 0.3:
            field_de, field_en, short = MINISTRY_FIELDS[n % len(MINISTRY_FIELDS)]
            label_de = f"Bundesministerium für {field_de}"
            label_en = f"Federal Ministry of {field_en}"
            org_types = (f"<{CV}PublicOrganisation>",)
            domain = f"{short}.bund.de"
        elif kind < 0.55:
            label_de, label_en, short = AGENCY_FIELDS[n % len(AGENCY_FIELDS)]
            org_types = (f"<{CV}PublicOrganisation>",)
            domain = f"{short}.bund.de"
        elif kind < 0.8:
            de, en = rng.choice(COMPANY_STEMS)
            city = rng.choice(CITIES)
            label_de, label_en = f"{de} {city} GmbH", f"{en} {city} GmbH"
            org_types = (f"<{ORG}FormalOrganization>",)
            domain = f"{slugify(de)}.de"
        else:
            de, en = rng.choice(ASSOCIATION_STEMS)
            city = rng.choice(CITIES)
            label_de, label_en = f"{de} {city} e.V.", f"{en} {city} (registered association)"
            org_types = (f"<{ORG}FormalOrganization>",)
            domain = f"{slugify(de)}.de"
        slug = f"{slugify(label_de)[:48].rstrip('-')}-{n}"
        org = self.iri("org", slug)
        homepage = f"<https://www.{domain}/>"

        # The page the entry is taken from, described as a foaf:Document.
        source = f"<https://www.{domain}/transformation/eintrag-{n}>"
        add(f"{source} {TYPE} <{FOAF}Document> .")
        add(f"{source} <{DCT}title> {lit(f'{label_de}: Angebote zur Verwaltungstransformation', 'de')} .")
        add(f"{source} <{DCT}publisher> {org} .")
        add(f"{source} <{DCT}issued> {self.date()} .")

        def provenance(iri: str) -> None:
            add(f"{iri} <{DCT}source> {source} .")
            add(f"{iri} <{DCT}modified> {self.date()} .")

        topics = self.pick("topics", 1, 3)
        add(f"{org} {TYPE} <{TFA}TransformationActor> .")
        for t in org_types:
            add(f"{org} {TYPE} {t} .")
        add(f"{org} {LABEL} {lit(label_de, 'de')} .")
        add(f"{org} {LABEL} {lit(label_en, 'en')} .")
        topic_de = ", ".join(self.label(t, 0) for t in topics)
        topic_en = ", ".join(self.label(t, 1) for t in topics)
        add(f"{org} <{DCT}description> {lit(f'{label_de} arbeitet zu {topic_de}.', 'de')} .")
        add(f"{org} <{DCT}description> {lit(f'{label_en} works on {topic_en}.', 'en')} .")
        add(f"{org} <{FOAF}homepage> {homepage} .")
        for t in topics:
            add(f"{org} <{TFA}worksOnTopic> {t} .")
        for c in self.pick("competencies", 1, 3):
            add(f"{org} <{TFA}hasCompetency> {c} .")
        if rng.random() < 0.4:
            add(f"{org} <{OWL}sameAs> <http://www.wikidata.org/entity/Q{rng.randrange(10**6, 10**8)}> .")
        if rng.random() < 0.2:
            add(f"{org} <{OWL}sameAs> <https://d-nb.info/gnd/{rng.randrange(10**6, 10**7)}-{rng.randrange(10)}> .")
        if self.actors and rng.random() < 0.15:
            add(f"{org} <{ORG}subOrganizationOf> {rng.choice(self.actors)} .")
        provenance(org)

        contact = self.iri("contact", slug)
        add(f"{org} <{DCAT}contactPoint> {contact} .")
        add(f"{contact} {TYPE} <{VCARD}Organization> .")
        add(f"{contact} <{VCARD}fn> {lit(f'Kontakt {label_de}', 'de')} .")
        add(f"{contact} <{VCARD}hasEmail> <mailto:transformation-{n}@{domain}> .")
        add(f"{contact} <{VCARD}hasURL> <https://www.{domain}/kontakt> .")

        providers = [org]
        for u in range(rng.randint(0, 4)):
            unit_de, unit_en = rng.choice(UNIT_KINDS)
            topic = rng.choice(topics)
            ulabel_de = f"{unit_de} {self.label(topic, 0)}"
            ulabel_en = f"{unit_en} {self.label(topic, 1)}"
            unit = self.iri("unit", f"{slug}-{slugify(unit_de)}-{u + 1}")
            add(f"{unit} {TYPE} <{TFA}TransformationActor> .")
            add(f"{unit} {TYPE} <{ORG}OrganizationalUnit> .")
            add(f"{unit} {LABEL} {lit(ulabel_de, 'de')} .")
            add(f"{unit} {LABEL} {lit(ulabel_en, 'en')} .")
            add(f"{unit} <{ORG}unitOf> {org} .")
            add(f"{org} <{ORG}hasUnit> {unit} .")
            add(f"{unit} <{TFA}worksOnTopic> {topic} .")
            provenance(unit)
            providers.append(unit)

        for i in range(rng.randint(0, 2)):
            topic = rng.choice(topics)
            form_de, form_en = rng.choice(INITIATIVE_FORMS)
            initiative = self.iri("initiative", f"{slug}-{slugify(self.label(topic, 0))}-{i + 1}")
            add(f"{initiative} {TYPE} <{TFA}"
                f"{'Project' if rng.random() < 0.5 else 'Initiative'}> .")
            add(f"{initiative} {LABEL} {lit(form_de.format(self.label(topic, 0)), 'de')} .")
            add(f"{initiative} {LABEL} {lit(form_en.format(self.label(topic, 1)), 'en')} .")
            add(f"{initiative} <{DCT}description> "
                f"{lit(f'Ein Vorhaben von {label_de} zu {self.label(topic, 0)}.', 'de')} .")
            add(f"{initiative} <{PROV}wasAssociatedWith> {rng.choice(providers)} .")
            add(f"{initiative} <{TFA}hasTopic> {topic} .")
            add(f"{initiative} <{FOAF}page> <https://www.{domain}/vorhaben/{i + 1}> .")
            provenance(initiative)

        for i in range(rng.randint(1, 5)):
            self._offer(add, slug, i, providers, topics, label_de, domain, contact, provenance)

        if rng.random() < 0.25:
            topic = rng.choice(topics)
            form_de, form_en = rng.choice(EVENT_FORMS)
            event = self.iri("event", f"{slug}-{slugify(self.label(topic, 0))}")
            add(f"{event} {TYPE} <{CV}PublicEvent> .")
            add(f"{event} {LABEL} {lit(form_de.format(self.label(topic, 0)), 'de')} .")
            add(f"{event} {LABEL} {lit(form_en.format(self.label(topic, 1)), 'en')} .")
            add(f"{event} <{DCT}description> "
                f"{lit(f'Austausch zu {self.label(topic, 0)} mit Beschäftigten der Bundesverwaltung.', 'de')} .")
            add(f"{event} <{TFA}startDate> {self.date()} .")
            add(f"{event} <{SCHEMA}location> {lit(rng.choice(CITIES))} .")
            add(f"{event} <{TFA}participantCount> {typed(str(rng.randint(8, 250)), 'integer')} .")
            add(f"{event} <{TFA}organisedBy> {org} .")
            add(f"{event} <{TFA}hasTopic> {topic} .")
            provenance(event)

        self.actors.append(org)
        if len(self.actors) > 200:
            del self.actors[:100]
        if n % 20 == 19:
            self._network(add, n, provenance)
        if n % 50 == 49 and len(self.actors) >= 2:
            before, after = rng.sample(self.actors, 2)
            change = self.iri("event", f"reorganisation-{n}")
            add(f"{change} {TYPE} <{ORG}ChangeEvent> .")
            add(f"{change} {LABEL} {lit('Neuordnung der Zuständigkeit für Digitale Verwaltung', 'de')} .")
            add(f"{change} <{ORG}originalOrganization> {before} .")
            add(f"{change} <{ORG}resultingOrganization> {after} .")
            add(f"{change} <{PROV}atTime> "
                f"{typed(dt.date.fromordinal(self.day0 + rng.randrange(self.days)).isoformat() + 'T00:00:00Z', 'dateTime')} .")
            provenance(change)
        return lines

    def _offer(self, add, slug, i, providers, topics, org_label, domain, contact, provenance):
        rng = self.rng
        topic = rng.choice(topics)
        offer_topics = [topic] + [t for t in self.pick("topics", 0, 2) if t != topic]
        form_de, form_en = rng.choice(OFFER_FORMS)
        offer = self.iri("offer", f"{slug}-{slugify(self.label(topic, 0))}-{i + 1}")
        challenges = self.pick("challenges", 1, 2)
        groups = self.pick("target-groups", 1, 3)
        add(f"{offer} {TYPE} <{TFA}Offer> .")
        add(f"{offer} {TYPE} <{SCHEMA}{'Course' if rng.random() < 0.5 else 'Service'}> .")
        add(f"{offer} {LABEL} {lit(form_de.format(self.label(topic, 0)), 'de')} .")
        add(f"{offer} {LABEL} {lit(form_en.format(self.label(topic, 1)), 'en')} .")
        words = {"tg": self.label(groups[0], 0), "ch": self.label(challenges[0], 0),
                 "tp": self.label(topic, 0), "who": org_label}
        add(f"{offer} <{DCT}description> {lit(rng.choice(DESCRIPTION_DE).format(**words), 'de')} .")
        words = {"tg": self.label(groups[0], 1), "ch": self.label(challenges[0], 1),
                 "tp": self.label(topic, 1), "who": org_label}
        add(f"{offer} <{DCT}description> {lit(rng.choice(DESCRIPTION_EN).format(**words), 'en')} .")
        add(f"{offer} <{TFA}providedBy> {rng.choice(providers)} .")
        for t in offer_topics:
            add(f"{offer} <{TFA}hasTopic> {t} .")
        for c in challenges:
            add(f"{offer} <{TFA}addressesChallenge> {c} .")
        for g in groups:
            add(f"{offer} <{DCT}audience> {g} .")
        for m in self.pick("delivery-modes", 1, 2):
            add(f"{offer} <{TFA}deliveryMode> {m} .")
        add(f"{offer} <{DCT}type> {rng.choice(self.concepts['offer-types'].iris)} .")
        add(f"{offer} <{TFA}costModel> {rng.choice(self.concepts['cost-models'].iris)} .")
        for c in self.pick("competencies", 1, 3):
            add(f"{offer} <{TFA}developsCompetency> {c} .")
        add(f"{offer} <{FOAF}page> <https://www.{domain}/angebote/{slugify(self.label(topic, 0))}-{i + 1}> .")
        add(f"{offer} <{DCAT}contactPoint> {contact} .")
        provenance(offer)

    def _network(self, add, n, provenance):
        rng = self.rng
        members = rng.sample(self.actors[-20:], min(len(self.actors), rng.randint(3, 8)))
        topic = rng.choice(self.concepts["topics"].iris[:])
        network = self.iri("network", f"netzwerk-{slugify(self.label(topic, 0))}-{n}")
        add(f"{network} {TYPE} <{ORG}OrganizationalCollaboration> .")
        add(f"{network} {LABEL} {lit(f'Netzwerk {self.label(topic, 0)}', 'de')} .")
        add(f"{network} {LABEL} {lit(f'{self.label(topic, 1)} network', 'en')} .")
        for m in members:
            add(f"{network} <{ORG}hasMember> {m} .")
        add(f"{network} <{PROV}startedAtTime> "
            f"{typed(dt.date.fromordinal(self.day0 + rng.randrange(self.days)).isoformat() + 'T09:00:00Z', 'dateTime')} .")
        provenance(network)

    # -- the stream ------------------------------------------------------------------------

    def lines(self, target: int) -> Iterator[list[str]]:
        """Chunks of N-Triples lines (no newline), about ``target`` triples in all.

        Stops after the block that reaches the target, so every resource is complete:
        the total exceeds the target by less than one block (a few dozen triples).
        """
        chunk = self.schemes()
        written = len(chunk)
        yield chunk
        n = 0
        while written < target:
            chunk = self.block(n)
            n += 1
            written += len(chunk)
            yield chunk


def parse_size(text: str) -> int:
    """'100000', '100k', '1M', '10M' -> triples."""
    if text in PRESETS:
        return PRESETS[text]
    factor = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor != 1 else text
    try:
        value = int(float(number) * factor)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of triples: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the number of triples must be positive")
    return value


def write(stream: BinaryIO, target: int, seed: int = DEFAULT_SEED, base_iri: str = DEFAULT_BASE,
          vocabularies: Path | None = SHIPPED_VOCABULARIES) -> int:
    """Write about ``target`` triples as N-Triples to a binary stream; returns the count."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n", write_through=False)
    count = 0
    buffer: list[str] = []
    for chunk in Generator(seed, base_iri, vocabularies).lines(target):
        buffer.extend(chunk)
        count += len(chunk)
        if len(buffer) >= 20_000:
            text.write("\n".join(buffer) + "\n")
            buffer.clear()
    if buffer:
        text.write("\n".join(buffer) + "\n")
    text.flush()
    text.detach()
    return count


def generate(triples: int, out: str | Path, seed: int = DEFAULT_SEED,
             base_iri: str = DEFAULT_BASE, vocabularies: Path | None = SHIPPED_VOCABULARIES) -> int:
    """Write about ``triples`` triples to ``out`` (gzip when it ends in .gz); returns the count.

    The file appears complete or not at all (written to a .part file, then renamed).
    """
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as raw:
            if path.suffix == ".gz":
                # mtime=0: the same seed gives the same bytes, also compressed
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=3, mtime=0) as gz:
                    count = write(gz, triples, seed, base_iri, vocabularies)
            else:
                count = write(raw, triples, seed, base_iri, vocabularies)
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--triples", type=parse_size, help="target number of triples (e.g. 100000, 100k, 1M)")
    size.add_argument("--preset", choices=list(PRESETS), help="a preset size")
    parser.add_argument("--out", help="output file (.nt or .nt.gz); '-' for standard output "
                        "(default: bench/data/<size>.nt)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    parser.add_argument("--base-iri", default=DEFAULT_BASE, help="IRI base (default: %(default)s)")
    parser.add_argument("--builtin-vocabularies", action="store_true",
                        help="use the generator's own concept lists instead of ontology/vocabularies/ "
                        "(output then independent of the repository's vocabularies)")
    args = parser.parse_args(argv)
    vocabularies = None if args.builtin_vocabularies else SHIPPED_VOCABULARIES
    target = args.triples or PRESETS[args.preset or "10k"]
    name = args.preset or next((k for k, v in PRESETS.items() if v == target), str(target))
    started = time.perf_counter()
    if args.out == "-":
        count = write(sys.stdout.buffer, target, args.seed, args.base_iri, vocabularies)
        out = "standard output"
    else:
        out = args.out or str(Path(__file__).resolve().parent / "data" / f"{name}.nt")
        count = generate(target, out, args.seed, args.base_iri, vocabularies)
    print(f"{count:,} triples to {out} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
