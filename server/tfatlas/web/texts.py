"""Texts of the site that every page shares (header, footer, errors), in German and English."""

from __future__ import annotations


TEXT = {
    "de": {
        "site": "Transformationsatlas", "skip": "Zum Inhalt springen", "language": "Sprache",
        "finder": "Angebote finden", "at_a_glance": "Auf einen Blick", "provider": "Anbieter",
        "how": "Format", "dates": "Termine", "audience": "Für wen", "cost": "Kosten",
        "contact": "Kontakt", "not_stated": "keine Angabe", "provider_contact": "Kontakt des Anbieters",
        "provider_site": "Website des Anbieters", "offer_page": "Webseite des Angebots",
        "phone": "Telefon", "no_contact": "keine Kontaktangabe",
        "switch": "English", "switch_lang": "en", "iri": "IRI", "types": "Typen",
        "formats": "Diese Seite als Daten", "properties": "Eigenschaften",
        "incoming": "Verweise auf diese Ressource", "provenance": "Herkunft", "also_in": "Auch in",
        "sources": "Quellen", "modified": "Zuletzt geändert", "graphs": "Benannte Graphen", "history": "Änderungen (Geschichte)",
        "loaded": "geladen am", "from": "aus", "page": "Seite", "of": "von",
        "previous": "Vorherige Seite", "next": "Nächste Seite", "pages": "Seiten",
        "statements": "Aussagen", "licence": "Lizenz", "source": "Quelle",
        "licence_unknown": "siehe Datenkatalog", "catalog": "Datenkatalog", "sparql": "SPARQL-Endpunkt",
        "ontology": "Ontologie", "shapes": "SHACL-Formen", "footer": "Fußzeile",
        "no_statements": "Keine Aussagen auf dieser Seite.",
        "units": "Einheiten und Unterorganisationen", "parent": "Gehört zu",
        "networks": "Netzwerke", "initiatives": "Initiativen", "offers": "Angebote",
        "topics": "Themen", "broader": "Oberbegriffe", "narrower": "Unterbegriffe",
        "offers_using": "Angebote zu diesem Begriff", "overview": "Überblick",
        "classes": "Klassen", "object_properties": "Objekteigenschaften",
        "datatype_properties": "Dateneigenschaften", "other_properties": "Weitere Eigenschaften",
        "subclass_of": "Unterklasse von", "subproperty_of": "Untereigenschaft von",
        "domain": "Definitionsbereich", "range": "Wertebereich", "version": "Version",
        "context": "JSON-LD-Kontext", "downloads": "Formate", "triples": "Tripel",
        "subjects": "Ressourcen in diesem Graphen", "target": "Gilt für", "path": "Eigenschaft",
        "count": "Anzahl", "constraint": "Bedingung", "message": "Meldung",
        "not_found": "Nicht gefunden", "bad_request": "Ungültige Anfrage",
        "not_found_text": "Unter dieser Adresse gibt es im Transformationsatlas keine Ressource.",
        "home": "Zur Startseite", "in_language": "nur auf Deutsch", "label": "Bezeichnung",
        "comment": "Beschreibung", "kind": "Art", "nested": "Details",
        "reused": "Wiederverwendete Begriffe anderer Vokabulare", "reused_count": "Begriffe",
        "all_links": "Alle in den Verweisen auf diese Ressource", "first": "Auswahl von",
    },
    "en": {
        "site": "Transformation Atlas", "skip": "Skip to content", "language": "Language",
        "finder": "Find offers", "at_a_glance": "At a glance", "provider": "Provider",
        "how": "Format", "dates": "Dates", "audience": "For whom", "cost": "Cost",
        "contact": "Contact", "not_stated": "not stated", "provider_contact": "the provider's contact",
        "provider_site": "Provider's website", "offer_page": "Offer's web page",
        "phone": "Phone", "no_contact": "no contact given",
        "switch": "Deutsch", "switch_lang": "de", "iri": "IRI", "types": "Types",
        "formats": "This page as data", "properties": "Properties",
        "incoming": "Links to this resource", "provenance": "Provenance", "also_in": "Also in",
        "sources": "Sources", "modified": "Last modified", "graphs": "Named graphs", "history": "Changes (history)",
        "loaded": "loaded on", "from": "from", "page": "Page", "of": "of",
        "previous": "Previous page", "next": "Next page", "pages": "Pages",
        "statements": "statements", "licence": "Licence", "source": "Source",
        "licence_unknown": "see the data catalogue", "catalog": "Data catalogue",
        "sparql": "SPARQL endpoint", "ontology": "Ontology", "shapes": "SHACL shapes",
        "footer": "Footer", "no_statements": "No statements on this page.",
        "units": "Units and sub-organisations", "parent": "Part of", "networks": "Networks",
        "initiatives": "Initiatives", "offers": "Offers", "topics": "Topics",
        "broader": "Broader concepts", "narrower": "Narrower concepts",
        "offers_using": "Offers with this concept", "overview": "Overview", "classes": "Classes",
        "object_properties": "Object properties", "datatype_properties": "Datatype properties",
        "other_properties": "Other properties", "subclass_of": "Subclass of",
        "subproperty_of": "Subproperty of", "domain": "Domain", "range": "Range",
        "version": "Version", "context": "JSON-LD context", "downloads": "Formats",
        "triples": "triples", "subjects": "Resources in this graph", "target": "Applies to",
        "path": "Property", "count": "Count", "constraint": "Constraint", "message": "Message",
        "not_found": "Not found", "bad_request": "Bad request",
        "not_found_text": "There is no resource at this address in the Transformation Atlas.",
        "home": "Go to the start page", "in_language": "German only", "label": "Label",
        "comment": "Description", "kind": "Kind", "nested": "Details",
        "reused": "Terms reused from other vocabularies", "reused_count": "terms",
        "all_links": "All of them in the links to this resource", "first": "a selection of",
    },
}


def texts_for() -> tuple[str, dict[str, str]]:
    """(the reader's language, the site's texts in it) for the current request."""
    from .urls import reader_language

    lang, _ = reader_language()
    return lang, TEXT[lang]
