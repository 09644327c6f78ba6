"""The knowledge model as files: where they are, their RDF formats (one media-type table), loading."""
