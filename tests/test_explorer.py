"""The regulator's explorer in a real headless Chromium, on the devnet and its demo data.

One devnet for the module (scripts/devnet --detach on free ports): four validators and
the regulator's observer, with the demo scenario that fills every page. Each page is
opened from the observer in Debian's Chromium, driven by its chromedriver through
selenium, and checked for what the ledger holds: the height, the validators, a debtor's
name, the lineage tree's nodes, the demo pledge, commitment, overdue and extended
vouchers, the set-off round's cleared amount, fees owed. A search by voucher id lands on
its lineage. A full-page screenshot of each page is kept in test-artifacts/explorer/.
The JSON routes the explorer added are checked against the same ledger. The period
report adds up to the registries; the wallet's CSV and XLSX exports and the pages'
downloads (a list's own CSV, the node's report export) are read back and checked
against the API; the alerts page shows each alert source as /v1/alerts does. Last, the
regulator's supervision: the test lists the overdue debtor on the blacklist, freezes a
voucher and has the debtor dispute another, and the supervision, alerts and members pages
show them (the supervision page's CSV read back against the API).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.keystore import unseal
from tests.nodeproc import free_port_block, get, register_signer
from tests.signing import Signer

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "explorer"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PAGE_WAIT_S = 20
SETOFF_CLEARED = "¥150,000.00"  # the demo round: three legs of ¥50,000.00


def fen_text(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


# ------------------------------------------------------------------ the devnet


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    directory = tmp_path_factory.mktemp("explorer") / "devnet"
    port = free_port_block(9)  # four validators and an observer, the validators' peer links
    devnet_cmd = str(ROOT / "scripts" / "devnet")
    up = subprocess.run([devnet_cmd, "--detach", "--dir", str(directory), "--port", str(port)],
                        capture_output=True, text=True, timeout=180)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        state = json.loads((directory / "devnet.json").read_text())
        state["stdout"] = up.stdout
        # The JSON routes are read as the regulator, who reads everything but members'
        # events; the browser reads through a session it signs in for.
        keys = {m["handle"]: unseal(json.loads(Path(m["key_file"]).read_text()),
                                    state["passphrase"]) for m in state["members"]}
        signer = Signer.of(state["chain_id"], keys["regulator"], keys.values())
        for node in state["nodes"]:
            register_signer(node["api"], signer)
        yield state
    finally:
        subprocess.run([devnet_cmd, "stop", "--dir", str(directory)], capture_output=True,
                       timeout=60)


def observer(devnet: dict[str, Any]) -> str:
    return next(n["api"] for n in devnet["nodes"] if n["role"] == "observer")


def read(api: str, path: str) -> Any:
    reply = get(api, path)
    assert reply.status == 200, (path, reply.body[:300])
    return reply.json()


def member(devnet: dict[str, Any], handle: str) -> dict[str, Any]:
    return next(m for m in devnet["members"] if m["handle"] == handle)


# ------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "Debian's chromium and chromium-driver are missing (scripts/test installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1400,1000", "--lang=zh-CN"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path is given, so selenium never looks for (or downloads) one.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_WAIT_S)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: Any, api: str, route: str, key: str | None = None) -> Any:
    """Load /explorer/#/ROUTE afresh and wait until the page says it has rendered; the
    page's root element. A page that met an error fails the test with its message."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = route.split("/")[0]
    driver.get("about:blank")
    driver.get(f"{api}/explorer/#/{route}")

    def rendered(d: Any) -> Any:
        view = d.find_element(By.ID, "view")
        if view.get_attribute("data-ready") != page:
            return False
        return key is None or view.get_attribute("data-key") == key

    WebDriverWait(driver, PAGE_WAIT_S).until(rendered)
    view = driver.find_element(By.ID, "view")
    error = view.get_attribute("data-error")
    assert error is None, view.text
    return view


def no_script_errors(driver: Any) -> None:
    """No script error since the last look (a 404 the page expects is the network's)."""
    severe = [e["message"] for e in driver.get_log("browser")
              if e["level"] == "SEVERE" and e.get("source") != "network"]
    assert not severe, severe


def screenshot(driver: Any, name: str) -> Path:
    """The whole page (beyond the window) as a PNG in the artifact folder."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    })
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path


def by_css(root: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return root.find_elements(By.CSS_SELECTOR, selector)


# ------------------------------------------------------------------ the devnet prints it


# ------------------------------------------------------------------ sign-in


def sign_in_link(devnet: dict[str, Any], api: str, handle: str = "regulator"
                 ) -> subprocess.CompletedProcess[str]:
    """`claimledger-wallet explorer` as the member `handle`, against the node at `api`."""
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "claimledger-wallet"), "--json", "--node", api,
         "--key", member(devnet, handle)["key_file"], "explorer"],
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": devnet["passphrase"]},
        capture_output=True, text=True, timeout=60)


def sign_in(driver: Any, devnet: dict[str, Any], api: str) -> None:
    """Open a fresh one-time link from the regulator's wallet: the browser's session."""
    made = sign_in_link(devnet, api)
    assert made.returncode == 0, made.stdout + made.stderr
    driver.get(json.loads(made.stdout)["url"])


@pytest.fixture(scope="module")
def signed_in(devnet: dict[str, Any], browser: Any) -> Any:
    """The module's browser, signed in on the observer as the regulator."""
    sign_in(browser, devnet, observer(devnet))
    return browser


def test_the_explorer_is_refused_before_sign_in_and_opens_after(
        devnet: dict[str, Any], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    api = observer(devnet)
    browser.delete_all_cookies()
    browser.get("about:blank")
    browser.get(f"{api}/explorer/#/overview")
    WebDriverWait(browser, PAGE_WAIT_S).until(
        lambda d: d.find_element(By.ID, "view").get_attribute("data-ready") == "overview")
    view = browser.find_element(By.ID, "view")
    assert view.get_attribute("data-error") == "auth.required"
    assert "claimledger-wallet explorer" in view.find_element(By.ID, "signin").text
    assert get(api, "/v1/overview", key=None).status == 401  # nor without the page
    screenshot(browser, "signed-out")

    made = sign_in_link(devnet, api)
    assert made.returncode == 0, made.stdout + made.stderr
    url = json.loads(made.stdout)["url"]
    browser.get(url)
    cookie = browser.get_cookie("claimledger_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    view = open_page(browser, api, "overview")
    assert view.find_elements(By.CSS_SELECTOR, "table")
    browser.get(url)  # a link opens once
    assert "unknown, used or expired" in browser.find_element(By.ID, "sign-in-message").text

    browser.get(f"{api}/explorer/sign-out")
    assert browser.get_cookie("claimledger_session") is None
    browser.get(f"{api}/explorer/#/overview")
    WebDriverWait(browser, PAGE_WAIT_S).until(
        lambda d: d.find_element(By.ID, "view").get_attribute("data-error") == "auth.required")
    sign_in(browser, devnet, api)  # the pages' tests go on signed in


def test_only_the_agency_and_regulators_get_a_sign_in_link(devnet: dict[str, Any]) -> None:
    api = observer(devnet)
    assert sign_in_link(devnet, api, "agency").returncode == 0
    refused = sign_in_link(devnet, api, "mingda")
    assert refused.returncode != 0
    assert "read.forbidden" in refused.stdout + refused.stderr


def test_the_devnet_prints_the_explorer_of_the_regulator_and_of_a_validator(
        devnet: dict[str, Any]) -> None:
    printed = re.findall(r"explorer:? +(http://127\.0\.0\.1:\d+/explorer/)", devnet["stdout"])
    assert f"{observer(devnet)}/explorer/" in printed
    assert f"{devnet['nodes'][0]['api']}/explorer/" in printed


def test_every_node_serves_the_page_and_nothing_but_its_files(devnet: dict[str, Any]) -> None:
    for node in devnet["nodes"]:
        page = get(node["api"], "/explorer/")
        assert page.status == 200
        assert page.headers["Content-Type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        assert b"/explorer/app.js" in page.body
    api = observer(devnet)
    assert get(api, "/explorer/app.js").headers["Content-Type"].startswith("text/javascript")
    assert get(api, "/explorer/style.css").headers["Content-Type"].startswith("text/css")
    for name in ("missing.js", "..%2Fapi.py", "%2E%2E"):
        reply = get(api, f"/explorer/{name}")
        assert reply.status == 404 and reply.error_code() == "not_found"


def test_an_installed_node_carries_the_page_files() -> None:
    import tomllib

    from node.http.explorer import FILES, STATIC_DIR
    from node.http.openapi import openapi_document

    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["node"]
    for name in FILES:
        assert (STATIC_DIR / name).is_file()
        assert any(Path("explorer", name).match(pattern) for pattern in package_data), name
    assert sorted(FILES) == sorted(p.name for p in STATIC_DIR.iterdir())
    (parameter,) = openapi_document()["paths"]["/explorer/{file}"]["get"]["parameters"]
    assert parameter["schema"]["enum"] == sorted(FILES)


def test_the_overview_reads_a_committed_block_once_and_keeps_a_bounded_number(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from node.http import explorer

    reads: list[int] = []

    def summary_at(node: object, height: int) -> explorer.BlockSummary:
        reads.append(height)
        return explorer.BlockSummary(height, 0, bytes(32), 0, ())

    monkeypatch.setattr(explorer, "summary_at", summary_at)
    monkeypatch.setattr(explorer, "MAX_CACHED_BLOCKS", 100)
    cache = explorer.SummaryCache()
    for head in range(2000):  # a node whose overview (80 blocks) is read at every block
        for height in range(head, max(-1, head - 80), -1):
            assert cache.get(None, height).time_ms == height  # type: ignore[arg-type]
        assert len(cache.by_height) <= 200
    assert sorted(reads) == list(range(2000))  # each block read once


# ------------------------------------------------------------------ the JSON it reads


def test_the_overview_reads_the_last_blocks_and_who_signed_them(devnet: dict[str, Any]) -> None:
    api = observer(devnet)
    overview = read(api, "/v1/overview?blocks=3")
    heights = [b["height"] for b in overview["blocks"]]
    assert heights == [overview["height"] - i for i in range(3)]
    assert all(b["tx_count"] >= 0 and b["time_ms"] > 0 for b in overview["blocks"])
    keys = {v["key"] for v in overview["validators"]}
    assert len(keys) == 4
    signers = set(overview["latest_certificate"]["signers"])
    assert signers <= keys and len(signers) >= 3  # 2f + 1 of 4
    for validator in overview["validators"]:
        assert validator["signed_latest"] == (validator["key"] in signers)
        if validator["signed_latest"]:
            assert validator["last_signed_height"] == overview["height"]
    core = member(devnet, "core")["address"]
    record = read(api, f"/v1/debtors/{core}")
    assert overview["debtors"]["debtors"] == 1 and overview["debtors"]["complete"]
    assert overview["debtors"]["outstanding_fen"] == record["outstanding_fen"]
    assert overview["debtors"]["overdue_vouchers"] == 1
    assert overview["setoff"]["rounds_executed"] == 1
    assert get(api, "/v1/overview?blocks=1001").error_code() == "request.bad_parameter"


def test_the_registries_page_through_every_record(devnet: dict[str, Any]) -> None:
    api = observer(devnet)
    seen, after, pages = [], None, 0
    while True:
        page = read(api, "/v1/registry/fees?limit=1" + (f"&after={after}" if after else ""))
        seen += [a["member"] for a in page["accounts"]]
        pages += 1
        after = page["next"]
        if after is None:
            break
    # Mingda, Xinhe and the factor, who passed on what it bought
    assert pages <= len(seen) + 1 and len(seen) == len(set(seen)) == 3
    mingda = member(devnet, "mingda")["address"]
    account = read(api, f"/v1/fees/{mingda}")
    listed = next(a for a in read(api, "/v1/registry/fees")["accounts"] if a["member"] == mingda)
    assert listed["owed_fen"] == account["owed_fen"] > 0
    active = read(api, "/v1/registry/pledges?status=active")["pledges"]
    released = read(api, "/v1/registry/pledges?status=released")["pledges"]
    assert sorted(p["id"] for p in active) == sorted(
        [devnet["demo"]["pledge"], devnet["demo"]["financed_pledge"]]) and len(released) == 1
    (asked,) = read(api, "/v1/registry/financing?status=accepted")["requests"]
    assert asked["id"] == devnet["demo"]["financing_request"]
    (sold,) = read(api, "/v1/registry/sales")["sales"]
    assert sold["id"] == devnet["demo"]["claim_sale"]
    (commitment,) = read(api, "/v1/registry/commitments")["commitments"]
    assert commitment["id"] == devnet["demo"]["commitment"]
    (executed,) = read(api, "/v1/registry/rounds?status=executed")["rounds"]
    assert executed["id"] == devnet["demo"]["setoff_round"]
    assert read(api, "/v1/registry/rounds?status=open")["rounds"] == []
    core = member(devnet, "core")["address"]
    (debtor,) = read(api, "/v1/registry/debtors")["debtors"]
    assert debtor == read(api, f"/v1/debtors/{core}")


# ------------------------------------------------------------------ the pages


def test_overview_shows_the_height_the_validators_and_outstanding_per_debtor(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    height_before = read(api, "/v1/status")["height"]
    view = open_page(browser, api, "overview")
    shown = int(by_css(view, "#card-height .value")[0].text.replace(",", ""))
    assert shown >= height_before
    text = view.text
    for validator in ("agency-node", "citybank-node", "provbank-node", "core-node"):
        assert validator in text
    core = member(devnet, "core")
    record = read(api, f"/v1/debtors/{core['address']}")
    assert by_css(view, "#card-outstanding .value")[0].text == fen_text(record["outstanding_fen"])
    chart = by_css(view, "#debtor-chart")[0]
    assert "Huayuan Construction" in chart.text
    assert fen_text(record["outstanding_fen"]) in chart.text
    assert by_css(view, "#rate-chart svg rect")  # the per-minute bars
    assert "regulator-node" in browser.find_element("id", "node-info").text
    no_script_errors(browser)
    screenshot(browser, "overview")


def lineage_ids(api: str, voucher: str) -> tuple[set[str], set[str]]:
    """Every state of the voucher's issue (through the lineage route), and the live ones."""
    found = read(api, f"/v1/vouchers/{voucher}")
    lineage = read(api, f"/v1/vouchers/{found['origin']}/lineage")
    states = [lineage["voucher"]]
    stack = list(lineage["descendants"])
    while stack:
        node = stack.pop()
        states.append(node["voucher"])
        stack += node["children"]
    return {v["id"] for v in states}, {v["id"] for v in states if v["status"] == "active"}


def test_the_lineage_tree_draws_every_part_of_the_demo_voucher(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    demo = devnet["demo"]
    view = open_page(browser, api, f"voucher/{demo['voucher']}", key=demo["voucher"])
    every, live = lineage_ids(api, demo["voucher"])
    drawn = by_css(view, "#tree svg g.node.voucher")
    assert {g.get_attribute("data-voucher") for g in drawn} == every
    assert len(every) >= 8  # issue, transfer, remainders, splits, payment, redemption
    assert {g.get_attribute("data-voucher") for g in drawn
            if "active" in g.get_attribute("class").split()} == live
    (focus,) = by_css(view, "#tree svg g.node.focus")
    assert focus.get_attribute("data-voucher") == demo["voucher"]
    assert len(by_css(view, "#tree svg path.edge")) == len(every) - 1
    tree_text = by_css(view, "#tree svg")[0].get_attribute("textContent")
    pledge = read(api, f"/v1/pledges/{demo['pledge']}")
    assert pledge["registration_no"] in tree_text  # the pledged part carries its pledge
    assert "¥1,250,000.00" in tree_text and "Mingda Steel" in tree_text
    steps = view.text
    assert "确权 Confirmed by the debtor" in steps and "商户支付 Merchant payment" in steps
    assert "Bank: City Commercial Bank" in steps  # the pledge's co-signer
    no_script_errors(browser)
    screenshot(browser, "voucher-lineage")


def test_a_search_by_voucher_id_lands_on_its_lineage(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    api = observer(devnet)
    target = devnet["demo"]["xinhe_part"]
    open_page(browser, api, "overview")
    box = browser.find_element("id", "search")
    box.send_keys(target.upper(), Keys.ENTER)  # ids are taken in either case

    def landed(d: Any) -> bool:
        view = d.find_element("id", "view")
        return view.get_attribute("data-key") == target and view.get_attribute("data-ready") \
            == "voucher"

    WebDriverWait(browser, PAGE_WAIT_S).until(landed)
    assert browser.execute_script("return location.hash") == f"#/voucher/{target}"
    view = browser.find_element("id", "view")
    assert by_css(view, "#voucher-id")[0].text == target
    (focus,) = by_css(view, "#tree svg g.node.focus")
    assert focus.get_attribute("data-voucher") == target
    screenshot(browser, "search-result")
    box = browser.find_element("id", "search")
    box.clear()
    box.send_keys("ab" * 32, Keys.ENTER)
    message = browser.find_element("id", "search-message")
    WebDriverWait(browser, PAGE_WAIT_S).until(lambda d: message.is_displayed())
    assert "No voucher with this id" in message.text
    no_script_errors(browser)


def test_the_pledge_registry_shows_the_demo_pledge(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    pledge = read(api, f"/v1/pledges/{devnet['demo']['pledge']}")
    view = open_page(browser, api, "pledges")
    row = next(r for r in by_css(view, "tbody tr") if pledge["registration_no"] in r.text)
    assert fen_text(pledge["secured_fen"]) in row.text
    assert "City Commercial Bank" in row.text and "Xinhe Cement" in row.text
    assert "In force" in row.text
    # the registry's fields: the 中登网 filing, the loan apart from the claim
    assert pledge["filing"]["number"] in row.text
    assert fen_text(pledge["loan_fen"]) in row.text
    assert f"{pledge['loan_rate_bp'] / 100:.2f}%" in row.text
    assert len(by_css(view, "tbody tr")) == 3  # the financed one, and the one released
    no_script_errors(browser)
    screenshot(browser, "pledges")


def test_the_financing_page_lists_the_funders_products(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    product = read(api, f"/v1/products/{devnet['demo']['product']}")
    view = open_page(browser, api, "financing")
    (row,) = [r for r in by_css(view, "#products tbody tr") if product["name"] in r.text]
    assert "City Commercial Bank" in row.text and "Pledge loan" in row.text
    terms = product["terms"]
    assert f"{terms['min_price_bp'] / 100:.2f}%–{terms['max_price_bp'] / 100:.2f}%" in row.text
    assert f"{terms['min_term_days']}–{terms['max_term_days']}" in row.text
    # The demo's financing request: to the bank and the microlender, accepted.
    asked = read(api, f"/v1/financing/requests/{devnet['demo']['financing_request']}")
    (row,) = by_css(view, "#requests tbody tr")
    assert "Xinhe Cement" in row.text and fen_text(asked["amount_fen"]) in row.text
    assert "City Commercial Bank" in row.text and "Chengxin Microcredit" in row.text
    assert "Accepted" in row.text and asked["outcome"][:8] in row.text
    assert asked["answered"] == 2 and {a["status"] for a in asked["answers"]} == {
        "accepted", "declined"}
    # each answer in the row: the bank's quote with its figures, the microlender's refusal
    quote = next(a for a in asked["answers"] if a["status"] == "accepted")
    refusal = next(a for a in asked["answers"] if a["status"] == "declined")
    (answers,) = by_css(row, ".answers[data-loaded]")
    assert fen_text(quote["amount_fen"]) in answers.text and "4.35%" in answers.text
    assert "Accepted" in answers.text and "Declined" in answers.text
    assert refusal["reason"] in answers.text
    # The demo's sale to the factor: the ledger's price, with recourse.
    sold = read(api, f"/v1/sales/{devnet['demo']['claim_sale']}")
    (row,) = by_css(view, "#sales tbody tr")
    assert "Mingda Steel" in row.text and "Huijin Commercial Factoring" in row.text
    assert fen_text(sold["face_fen"]) in row.text and fen_text(sold["price_fen"]) in row.text
    assert "5.40%" in row.text and "With recourse" in row.text
    no_script_errors(browser)
    screenshot(browser, "financing")


def test_the_commitments_page_shows_the_demo_commitment(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    view = open_page(browser, api, "commitments")
    (row,) = by_css(view, "tbody tr")
    assert "Regional Asset Management" in row.text and "¥95.00 / ¥100.00" in row.text
    no_script_errors(browser)
    screenshot(browser, "commitments")


def test_the_overdue_page_lists_the_overdue_and_the_extended_parts(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    demo = devnet["demo"]
    view = open_page(browser, api, "overdue")
    overdue = {a.get_attribute("title") for a in by_css(view, "#overdue-list tbody a")}
    extended = {a.get_attribute("title") for a in by_css(view, "#extended-list tbody a")}
    assert overdue == {demo["overdue"]}
    # The extended voucher went into the set-off round: its remainder is the live part.
    assert extended == {demo["setoff_remainder"]}
    assert "Huayuan Construction" in view.text
    no_script_errors(browser)
    screenshot(browser, "overdue")


def test_the_debtors_page_flags_the_debtor_with_an_overdue_voucher(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    core = member(devnet, "core")
    record = read(api, f"/v1/debtors/{core['address']}")
    view = open_page(browser, api, "debtors")
    (row,) = by_css(view, "#debtor-table tbody tr")
    assert "Huayuan Construction" in row.text
    assert fen_text(record["outstanding_fen"]) in row.text
    assert fen_text(record["redeemed_fen"]) in row.text
    assert "flag" in row.get_attribute("class").split()  # one overdue voucher
    no_script_errors(browser)
    screenshot(browser, "debtors")


def test_the_setoff_page_shows_the_demo_rounds_cleared_amount(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    view = open_page(browser, api, "setoff")
    round_ = read(api, f"/v1/setoff/rounds/{devnet['demo']['setoff_round']}")
    assert fen_text(round_["cleared_fen"]) == SETOFF_CLEARED
    (row,) = by_css(view, "#round-table tbody > tr")
    assert round_["round_no"] in row.text and SETOFF_CLEARED in row.text
    assert fen_text(round_["bound_fen"]) in row.text
    chart = by_css(view, "#setoff-chart svg")[0]
    assert SETOFF_CLEARED in chart.get_attribute("textContent")
    assert by_css(chart, "rect.bar-cleared") and by_css(chart, "rect.bar-bound")
    assert SETOFF_CLEARED in by_css(view, "#card-setoff-cleared .value")[0].text
    no_script_errors(browser)
    screenshot(browser, "setoff")


def test_the_fees_page_shows_what_each_member_owes(
        devnet: dict[str, Any], browser: Any, signed_in: Any) -> None:
    api = observer(devnet)
    mingda = member(devnet, "mingda")
    account = read(api, f"/v1/fees/{mingda['address']}")
    view = open_page(browser, api, "fees")
    row = next(r for r in by_css(view, "#fee-table tbody tr") if "Mingda Steel" in r.text)
    assert fen_text(account["owed_fen"]) in row.text and fen_text(account["paid_fen"]) in row.text
    owed = sum(a["owed_fen"] for a in read(api, "/v1/registry/fees")["accounts"])
    assert by_css(view, "#card-fees-owed .value")[0].text == fen_text(owed)
    no_script_errors(browser)
    screenshot(browser, "fees")


def test_a_validator_serves_the_same_explorer(devnet: dict[str, Any], browser: Any) -> None:
    api = devnet["nodes"][0]["api"]
    sign_in(browser, devnet, api)  # each node keeps its own sessions
    view = open_page(browser, api, "overview")
    assert "agency-node" in browser.find_element("id", "node-info").text
    assert "Validator" in browser.find_element("id", "node-info").text
    assert by_css(view, "#card-height .value")
    no_script_errors(browser)


# ------------------------------------------------------------------ reports, alerts, exports
# (node/http/reports.py, node/http/alerts.py, wallet report, the explorer's list tools)


def report_period(api: str) -> str:
    """The China-time year of the head: the devnet's whole history lies in it (a devnet
    started in the last minutes of a year would straddle two, and is not worth the case)."""
    from contracts.report_periods import china_date

    return str(china_date(read(api, "/v1/status")["time_ms"]).year)


def wallet_report(devnet: dict[str, Any], api: str, *arguments: str) -> str:
    made = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "claimledger-wallet"), "--json", "--node", api,
         "--key", member(devnet, "regulator")["key_file"], "report", *arguments],
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": devnet["passphrase"]},
        capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stdout + made.stderr
    return made.stdout


def csv_rows(data: bytes) -> list[list[str]]:
    import csv
    import io

    assert data.startswith("\ufeff".encode())  # a spreadsheet reads the UTF-8 as such
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def fen_columns(header: list[str], row: list[Any], figure_zh: str) -> tuple[int, str, int]:
    """A figure's count, yuan text and fen in an exported row, by its Chinese header."""
    at = next(i for i, h in enumerate(header) if h.startswith(f"{figure_zh}笔数"))
    return int(row[at]), str(row[at + 1]), int(row[at + 2])


def test_the_report_adds_up_to_the_ledgers_registries(devnet: dict[str, Any]) -> None:
    api = observer(devnet)
    year = report_period(api)
    report = read(api, f"/v1/reports?period={year}&by=debtor")
    total = report["total"]
    overview = read(api, "/v1/overview?blocks=1")
    assert report["from_height"] == 1 and report["height"] >= overview["height"] - 1
    assert (total["issued"]["count"], total["issued"]["amount_fen"]) == (
        overview["debtors"]["vouchers_issued"], overview["debtors"]["issued_fen"])
    pledges = read(api, "/v1/registry/pledges")["pledges"]
    assert total["pledged"]["count"] == len(pledges)
    sales = read(api, "/v1/registry/sales")["sales"]
    loans = [r for r in read(api, "/v1/registry/financing?status=accepted")["requests"]
             if r["kind"] == "pledge_loan"]
    assert total["financed"]["count"] == len(sales) + len(loans)
    assert total["set_off"]["amount_fen"] >= overview["setoff"]["cleared_fen"] > 0
    assert total["overdue"]["count"] >= 1 and total["transferred"]["count"] >= 1
    core = member(devnet, "core")["address"]
    row = next(r for r in report["rows"] if r["key"] == core)
    assert "Huayuan Construction" in row["name"]
    assert row["issued"] == total["issued"]  # the devnet's one issuing debtor
    # by bank: only what funders took part in, each funder's own row
    by_bank = read(api, f"/v1/reports?period={year}&by=bank")
    banks = {r["key"] for r in by_bank["rows"]} - {"none"}
    assert banks == {p["bank"] for p in pledges} | {s["buyer"] for s in sales}
    # a member reads its own figures, never the ledger's
    assert get(api, f"/v1/reports?period={year}", key=None).status == 401
    assert get(api, "/v1/reports?period=2026-13").error_code() == "request.bad_parameter"


def test_the_wallet_exports_a_report_as_csv_and_xlsx(
        devnet: dict[str, Any], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    api = observer(devnet)
    year = report_period(api)
    report = read(api, f"/v1/reports?period={year}&by=debtor")
    core = member(devnet, "core")["address"]
    out = tmp_path / "report.csv"
    wallet_report(devnet, api, "--period", year, "--by", "debtor", "--format", "csv",
                  "--out", str(out))
    header, *rows = csv_rows(out.read_bytes())
    assert header[:3] == ["期间 (Period)", "债务人 (Key: Debtor)", "名称 (Name)"]
    row = next(r for r in rows if r[1] == core)
    assert row[0] == year and rows[-1][1] == "合计 total"
    assert len(rows) == len(report["rows"]) + 1
    issued = next(r for r in report["rows"] if r["key"] == core)["issued"]
    assert fen_columns(header, row, "开具") == (
        issued["count"], f"{issued['amount_fen'] // 100}.{issued['amount_fen'] % 100:02d}",
        issued["amount_fen"])
    xlsx = tmp_path / "report.xlsx"
    wallet_report(devnet, api, "--period", year, "--by", "debtor", "--format", "xlsx",
                  "--out", str(xlsx))
    sheet = load_workbook(xlsx).active
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert [str(c) if c is not None else "" for c in cells[0]] == header
    pledged = report["total"]["pledged"]
    count, text, fen = fen_columns(cells[0], cells[-1], "质押")
    assert (count, fen) == (pledged["count"], pledged["amount_fen"])
    assert isinstance(text, str) and text == f"{fen // 100}.{fen % 100:02d}"  # text, no float


@pytest.fixture
def on_observer(devnet: dict[str, Any], browser: Any) -> Any:
    """The browser signed in on the observer afresh: a session cookie is per host, not
    per port, so a sign-in on a validator (as an earlier test does) replaced it."""
    sign_in(browser, devnet, observer(devnet))
    return browser


def wait_download(folder: Path, suffix: str, before: set[str]) -> Path:
    import time

    deadline = time.monotonic() + PAGE_WAIT_S
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name not in before
                and p.name.endswith(suffix)]
        if done and done[0].stat().st_size > 0:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded into {folder}")


def test_the_reports_page_shows_and_downloads_the_report(
        devnet: dict[str, Any], browser: Any, on_observer: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    api = observer(devnet)
    year = report_period(api)
    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(tmp_path)})
    view = open_page(browser, api, "reports")
    period = browser.find_element("id", "report-period")
    period.clear()
    period.send_keys(year)
    browser.execute_script("document.getElementById('report-by').value = 'debtor'")
    browser.find_element("id", "report-go").click()
    report = read(api, f"/v1/reports?period={year}&by=debtor")
    core = member(devnet, "core")["address"]
    core_row = next(r for r in report["rows"] if r["key"] == core)
    issued = fen_text(core_row["issued"]["amount_fen"])

    heading = browser.find_element("id", "report-heading")
    WebDriverWait(browser, PAGE_WAIT_S).until(
        lambda d: heading.text.startswith(f"{year} · year"))
    row = next(r for r in by_css(view, "#report-table tbody tr")
               if "Huayuan Construction" in r.text)
    assert issued in row.text
    # the page's own CSV: the rows it shows, as shown
    before = {p.name for p in tmp_path.iterdir()}
    by_css(view, "#report-table button.csv")[0].click()
    header, *rows = csv_rows(wait_download(tmp_path, ".csv", before).read_bytes())
    assert header[0] == "债务人 Debtor" and len(rows) == len(report["rows"]) + 1  # and total
    line = next(r for r in rows if "Huayuan Construction" in r[0])
    assert line[header.index("开具金额 Issued (amount)")] == issued
    # the node's export, behind the download button
    before = {p.name for p in tmp_path.iterdir()}
    browser.find_element("id", "report-csv").click()
    header, *rows = csv_rows(wait_download(tmp_path, f"-{year}-debtor.csv", before)
                             .read_bytes())
    count, _, fen = fen_columns(header, next(r for r in rows if r[1] == core), "开具")
    assert (count, fen) == (core_row["issued"]["count"], core_row["issued"]["amount_fen"])
    no_script_errors(browser)
    screenshot(browser, "reports")


def test_the_alerts_page_shows_every_source_as_the_api_does(
        devnet: dict[str, Any], browser: Any, on_observer: Any) -> None:
    api = observer(devnet)
    answer = read(api, "/v1/alerts?threshold_pct=50&limit=1000")
    assert [s["kind"] for s in answer["sources"]] == [
        "overdue", "late_confirmations", "concentration", "disputes", "freezes"]
    overdue = next(s for s in answer["sources"] if s["kind"] == "overdue")
    assert {a["subject"] for a in overdue["alerts"]} == {devnet["demo"]["overdue"]}
    concentration = next(s for s in answer["sources"] if s["kind"] == "concentration")
    for alert in concentration["alerts"]:  # over half of the debtor's outstanding
        assert alert["amount_fen"] * 2 > alert["outstanding_fen"]
    view = open_page(browser, api, "alerts")
    for source in answer["sources"]:
        (section,) = by_css(view, f"#alerts-{source['kind']}")
        assert int(section.get_attribute("data-count")) == len(source["alerts"])
        assert len(by_css(section, "tbody tr")) == len(source["alerts"])
    (link,) = by_css(view, "#alerts-overdue tbody a")
    assert link.get_attribute("title") == devnet["demo"]["overdue"]
    no_script_errors(browser)
    screenshot(browser, "alerts")


def test_every_list_filters_its_rows_and_downloads_what_it_shows(
        devnet: dict[str, Any], browser: Any, on_observer: Any, tmp_path: Path) -> None:
    api = observer(devnet)
    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(tmp_path)})
    pledge = read(api, f"/v1/pledges/{devnet['demo']['pledge']}")
    view = open_page(browser, api, "pledges")
    rows = by_css(view, "tbody tr")
    assert len(rows) == 3
    box = by_css(view, "input.filter")[0]
    box.send_keys(pledge["registration_no"])
    visible = [r for r in by_css(view, "tbody tr") if r.is_displayed()]
    assert len(visible) == 1 and pledge["registration_no"] in visible[0].text
    assert by_css(view, ".list-tools .shown")[0].text.startswith("1 / 3")
    before = {p.name for p in tmp_path.iterdir()}
    by_css(view, "button.csv")[0].click()
    header, *lines = csv_rows(wait_download(tmp_path, ".csv", before).read_bytes())
    assert header[0] == "登记编号 Registration no"
    assert [line[0] for line in lines] == [pledge["registration_no"]]
    assert fen_text(pledge["secured_fen"]) in lines[0]
    # a status the route filters by itself: asked of the node, the list holds only those
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.ui import WebDriverWait

    (released,) = read(api, "/v1/registry/pledges?status=released")["pledges"]
    box.clear()  # the filter box's text is kept when the rows change: empty it first
    Select(by_css(view, "select.status-filter")[0]).select_by_value("released")
    WebDriverWait(browser, PAGE_WAIT_S,
                  ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: [r.text for r in by_css(view, "tbody tr") if r.is_displayed()] != []
        and all(released["registration_no"] in r.text for r in by_css(view, "tbody tr"))
        and len(by_css(view, "tbody tr")) == 1)
    no_script_errors(browser)


# ------------------------------------------------------------------ supervision
# (node/http/alerts.py's disputes and freezes, node/http/credit.py's limits, the explorer's
# #/supervision and #/members pages). Last in the module: it lists the demo's debtor and
# freezes one of its vouchers, which the pages above do not expect.


def devnet_keys(devnet: dict[str, Any]) -> dict[str, Any]:
    return {m["handle"]: unseal(json.loads(Path(m["key_file"]).read_text()),
                                devnet["passphrase"]) for m in devnet["members"]}


def supervise(devnet: dict[str, Any]) -> dict[str, str]:
    """The agency lowers the blacklist criteria to one overdue voucher and lists the demo
    debtor; the regulator freezes the demo's overdue voucher on a court order; the debtor
    disputes the merchant's part. Submitted to a validator; ids of the freeze and dispute."""
    import hashlib

    from contracts import credit, supervision
    from tests.nodeproc import build_tx, commit, post_tx, tx_id, wait_committed

    api = devnet["nodes"][0]["api"]
    keys = devnet_keys(devnet)
    demo = devnet["demo"]

    def tx(contract: str, operation: str, body: Any, signer: str) -> Any:
        return build_tx(devnet["chain_id"], contract, operation, body, keys[signer])

    overdue = read(api, f"/v1/vouchers/{demo['overdue']}")
    together = [
        tx("credit", "set_criteria", credit.SetCriteria(keys["agency"].address, 1, 3, 365),
           "agency"),
        tx("supervision", "freeze", supervision.Freeze(
            keys["regulator"].address, bytes.fromhex(demo["overdue"]), overdue["amount_fen"],
            "(2026)蒙0802执保77号", hashlib.sha256(b"court order 77").digest()), "regulator"),
        tx("supervision", "raise_dispute", supervision.RaiseDispute(
            keys["core"].address, "voucher", bytes.fromhex(demo["merchant_part"]),
            "建材未按约交付 materials never delivered",
            (hashlib.sha256(b"delivery log").digest(),)), "core"),
    ]
    for sent in together:  # one block, or two
        reply = post_tx(api, sent)
        assert reply.status == 202, reply.body
    for sent in together:
        wait_committed(api, tx_id(sent).hex())
    commit(api, tx("credit", "list", credit.ListDebtor(
        keys["agency"].address, keys["core"].address, "逾期未清偿 an overdue voucher"),
        "agency"))
    return {"freeze": tx_id(together[1]).hex(), "dispute": tx_id(together[2]).hex()}


def section_csv(view: Any, section: str, folder: Path) -> tuple[list[str], list[list[str]]]:
    """The CSV the list tools of `section` download (claimledger-SECTION.csv): its header
    and its rows."""
    before = {p.name for p in folder.iterdir()}
    by_css(view, f"#{section} button.csv")[0].click()
    header, *rows = csv_rows(wait_download(folder, f"claimledger-{section}.csv", before)
                             .read_bytes())
    return header, rows


def test_the_supervision_pages_show_a_listing_a_freeze_and_a_dispute(
        devnet: dict[str, Any], browser: Any, on_observer: Any, tmp_path: Path) -> None:
    api = observer(devnet)
    made = supervise(devnet)
    core = member(devnet, "core")["address"]
    # the API, as the observer answers it once it has the blocks
    from tests.nodeproc import wait_until

    wait_until("the observer has the listing", lambda: read(
        api, f"/v1/credit/debtors/{core}")["listing"] is not None)
    (freeze,) = read(api, "/v1/freezes")["freezes"]
    assert freeze["id"] == made["freeze"] and freeze["status"] == "frozen"
    (dispute,) = read(api, "/v1/disputes?status=any")["disputes"]
    assert dispute["id"] == made["dispute"] and dispute["status"] == "open"
    (listing,) = read(api, "/v1/credit/blacklist")["listings"]
    assert listing["debtor"] == core and listing["overdue_in_period"] == 1
    (limit,) = read(api, "/v1/credit/limits")["limits"]
    assert limit["debtor"] == core and limit["listing"]["status"] == "listed"
    assert limit["limit"]["limit_fen"] == devnet["demo"]["issuance_limit_fen"]
    alerts = {s["kind"]: s for s in read(api, "/v1/alerts")["sources"]}
    (raised,) = alerts["disputes"]["alerts"]
    assert (raised["dispute"], raised["member"], raised["debtor"]) == (
        made["dispute"], core, core)
    assert raised["dispute_kind"] == "voucher" and raised["age_days"] == 0
    (ordered,) = alerts["freezes"]["alerts"]
    assert (ordered["subject"], ordered["amount_fen"], ordered["order_ref"]) == (
        made["freeze"], freeze["amount_fen"], freeze["order_ref"])
    assert alerts["freezes"]["complete"] and alerts["disputes"]["complete"]

    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(tmp_path)})
    view = open_page(browser, api, "supervision")
    (row,) = by_css(view, "#blacklist tbody tr")
    assert "Huayuan Construction" in row.text and listing["reason"] in row.text
    assert "Listed" in row.text
    assert "≥ 1" in by_css(view, "#blacklist-criteria")[0].text  # the criteria in force
    (row,) = by_css(view, "#credit-limits tbody tr")
    assert fen_text(limit["limit"]["limit_fen"]) in row.text
    assert fen_text(limit["used_fen"]) in row.text and "City Commercial Bank" in row.text
    (row,) = by_css(view, "#freezes tbody tr")
    assert freeze["order_ref"] in row.text and fen_text(freeze["amount_fen"]) in row.text
    (row,) = by_css(view, "#disputes tbody tr")
    assert dispute["reason"] in row.text and "Open" in row.text
    # the freezes' and the disputes' CSV: the rows shown, as the API has them
    header, rows = section_csv(view, "freezes", tmp_path)
    assert header[:3] == ["冻结令 Order", "凭证 Voucher", "持有人 Holder"]
    (line,) = rows
    assert line[header.index("冻结金额 Amount")] == fen_text(freeze["amount_fen"])
    assert line[header.index("法院文书 Court order")] == freeze["order_ref"]
    assert "Mingda Steel" in line[header.index("持有人 Holder")]
    assert line[header.index("冻结机关 Authority")] == read(
        api, f"/v1/members/{freeze['authority']}")["name"]
    view = open_page(browser, api, "supervision")  # a page's first download goes unasked
    header, rows = section_csv(view, "disputes", tmp_path)
    (line,) = rows
    assert line[header.index("理由 Reason")] == dispute["reason"]
    assert line[header.index("标的编号 Subject")] == dispute["subject"][:10] + "…"
    no_script_errors(browser)
    screenshot(browser, "supervision")

    view = open_page(browser, api, "alerts")
    for kind in ("disputes", "freezes"):
        (section,) = by_css(view, f"#alerts-{kind}")
        assert int(section.get_attribute("data-count")) == len(alerts[kind]["alerts"]) == 1
    (row,) = by_css(view, "#alerts-disputes tbody tr")
    assert dispute["reason"] in row.text and "0 天 days" in row.text
    (row,) = by_css(view, "#alerts-freezes tbody tr")
    assert freeze["order_ref"] in row.text

    # the members page: the directory's identity fields, as the regulator reads them
    found = read(api, f"/v1/members/{core}")
    view = open_page(browser, api, "members")
    row = next(r for r in by_css(view, "#member-table tbody tr") if found["name"] in r.text)
    identity = found["identity"]
    assert identity["credit_code"] in row.text and identity["region"] in row.text
    assert len(by_css(view, "#member-table tbody tr")) == len(read(
        api, "/v1/members?limit=1000")["members"])
    no_script_errors(browser)
    screenshot(browser, "members")
