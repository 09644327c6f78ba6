"""The SPARQL endpoint: protocol, text, content negotiation, results, the query service and its
workers, the remote backend, the result cache, stored queries and their OpenAPI description."""
