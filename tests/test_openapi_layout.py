"""The OpenAPI document assembled from its families (node/http/openapi/): every path is
described by one family only, the read access is laid over it once, and the routes it
calls open are the ones the app serves without a signature."""

from __future__ import annotations

from node.http.app import OPEN_PATHS as APP_OPEN_PATHS
from node.http.openapi import openapi_document
from node.http.openapi.access import OPEN_PATHS, with_read_access
from node.http.openapi.chain import chain_paths
from node.http.openapi.credit import credit_paths
from node.http.openapi.explorer import explorer_paths
from node.http.openapi.funding import funding_paths
from node.http.openapi.members import member_paths
from node.http.openapi.operator import operator_paths
from node.http.openapi.records import id_paths, proof_paths
from node.http.openapi.reports import report_paths
from node.http.openapi.setoff import setoff_paths
from node.http.openapi.settlement import settlement_paths
from node.http.openapi.submit import submit_paths
from node.http.openapi.supervision import supervision_paths
from node.http.openapi.vouchers import voucher_paths

FAMILIES = (chain_paths, submit_paths, voucher_paths, settlement_paths, funding_paths,
            member_paths, supervision_paths, credit_paths, setoff_paths, report_paths,
            proof_paths, id_paths, explorer_paths, operator_paths)


def test_no_two_families_describe_the_same_path() -> None:
    seen: dict[str, str] = {}
    for family in FAMILIES:
        for path in family():
            assert path not in seen, f"{path} in {seen.get(path)} and {family.__name__}"
            seen[path] = family.__name__
    assert set(openapi_document()["paths"]) == {*seen, "/v1/openapi.json"}


def test_the_document_calls_open_exactly_the_routes_the_app_serves_unsigned() -> None:
    documented = set(openapi_document()["paths"])
    assert documented & APP_OPEN_PATHS == OPEN_PATHS


def test_building_the_document_twice_gives_the_same_document() -> None:
    first = openapi_document()
    assert openapi_document() == first  # no shared operation picks up a second draft header
    for item in first["paths"].values():
        for operation in item.values():
            names = [p["name"] for p in operation.get("parameters", [])]
            assert len(names) == len(set(names)), operation["summary"]


def test_read_access_leaves_open_paths_unsigned_and_signs_the_rest() -> None:
    paths = with_read_access({**chain_paths(), **operator_paths()})
    assert "401" not in paths["/v1/status"]["get"]["responses"]
    assert "401" not in paths["/health"]["get"]["responses"]
    blocks = paths["/v1/blocks/{height}"]["get"]
    assert {"401", "403"} <= set(blocks["responses"])
    assert blocks["parameters"][-1]["in"] == "header"
