"""The OpenAPI 3.1 document of the HTTP API, served at /v1/openapi.json: every path, its
parameters and answers; the record schemas are node/http/schemas.py's.

One module per family of paths, each beside the handlers it describes (chain, submit,
vouchers, settlement, funding, members, supervision, credit, setoff, reports, records,
explorer, operator); what they are built from in common (common); who may call what,
laid over them all (access); and the document assembled from them (document). Imports
run one way: document -> the families and access -> common -> node.http.schemas (the
explorer's family reads access's 403 too). Nothing below document imports a sibling
family.
"""

from node.http.openapi.document import openapi_document

__all__ = ["openapi_document"]
