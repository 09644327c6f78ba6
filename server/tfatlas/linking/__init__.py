"""Linking the atlas with registries, both ways (issue 12).

``text`` and ``scoring`` hold the one matching method; ``entities`` reads what the atlas knows of its
resources; ``reconcile`` is the Reconciliation API 0.2 service over them; ``records`` the mapping
records (SSSOM-like) and their RDF; ``registries`` the registries the client links against; ``run``
a link run; ``sssom`` the TSV export. No Flask here.
"""
