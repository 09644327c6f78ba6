"""Linked data: labels in the reader's language, the views of resources, graphs, the ontology and the
shapes, and the RDF of a resource."""
