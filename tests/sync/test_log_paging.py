"""The run page's runtime log at scale: keyset pages, filters and search on them, no COUNT(*)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sync import logpage, logsearch
from sync.models import SyncLogEntry, SyncRun

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
OUTCOMES = ["created", "matched", "already_matched", "failed", "skipped", "created", "matched"]
NAMES = [
    "Ada Smith",
    "Wei Li",
    "Lisa Moss",
    "Emilia Stone",
    "Bob Smithers",
    "Carl Jung",
    "Ann O'Connor",
]
_ROW_ID = re.compile(r'title="(r\d+)"')


@pytest.fixture
def big_run(alice):
    """237 entries, sharing their ``at`` in bunches, whose ids run against the time order."""
    workspace = alice.workspaces.get()
    run = SyncRun.objects.create(
        workspace=workspace, kind=SyncRun.Kind.CONTACTS, status="completed", planned=True
    )
    SyncLogEntry.objects.bulk_create(
        SyncLogEntry(
            workspace=workspace,
            run=run,
            outcome=OUTCOMES[n % len(OUTCOMES)],
            system="qbo",
            record_id=f"r{n}",
            record_name=NAMES[n % len(NAMES)],
            record_email=f"{NAMES[n % len(NAMES)].split()[0].lower()}{n}@example.com",
        )
        for n in range(237)
    )
    # 17 distinct times for 237 rows: every page boundary falls inside a tie on ``at``.
    for entry in SyncLogEntry.objects.filter(run=run):
        n = int(entry.record_id[1:])
        entry.at = START + dt.timedelta(seconds=(n * 7) % 17)
        entry.save(update_fields=["at"])
    # The counters as the engine moves them with the entries.
    counted = {o: SyncLogEntry.objects.filter(run=run, outcome=o).count() for o in OUTCOMES}
    SyncRun.objects.filter(pk=run.pk).update(
        created_in_lacrm=counted["created"],
        matched=counted["matched"],
        already_matched=counted["already_matched"],
        failed=counted["failed"],
        skipped=counted["skipped"],
    )
    run.refresh_from_db()
    return run


def _expected(run, **filters) -> list[str]:
    """Record ids newest first, (at, id) descending, computed without the page code."""
    rows = SyncLogEntry.objects.filter(run=run, **filters).order_by("-at", "-id")
    return [e.record_id for e in rows]


def _link(page: str, name: str) -> str | None:
    match = re.search(rf'id="logs-{name}" [^>]*href="([^"]+)"', page)
    return unescape(match[1]) if match else None


def _walk(client, url: str, query: dict, follow: str, first: str | None = None) -> list[list[str]]:
    """Every page from ``first`` (a link) or the newest, following the ``follow`` links."""
    pages = []
    page = client.get(url + first if first else url, query).content.decode()
    while True:
        pages.append(_ROW_ID.findall(page))
        nxt = _link(page, follow)
        if nxt is None:
            return pages
        assert len(pages) < 50, "paging does not end"
        page = client.get(url + nxt).content.decode()


def _url(run) -> str:
    return reverse("sync:run_detail", kwargs={"run_id": run.id})


def test_older_pages_return_every_entry_exactly_once_despite_ties(alice_client, big_run):
    pages = _walk(alice_client, _url(big_run), {}, "older")
    assert [len(p) for p in pages] == [50, 50, 50, 50, 37]
    assert [rid for p in pages for rid in p] == _expected(big_run)


def test_newer_pages_from_the_oldest_return_every_entry_exactly_once(alice_client, big_run):
    pages = _walk(alice_client, _url(big_run), {}, "newer", first="?oldest=1")
    # From the oldest end: the oldest 50 first, the newest 37 last.
    assert [len(p) for p in pages] == [50, 50, 50, 50, 37]
    assert [rid for p in reversed(pages) for rid in p] == _expected(big_run)


def test_the_page_says_where_it_is_and_about_how_many_there_are(alice_client, big_run):
    url = _url(big_run)
    first = alice_client.get(url).content.decode()
    assert "Showing 1–50 of about 237 entries" in first
    assert _link(first, "newer") is None and _link(first, "newest") is None
    second = alice_client.get(url + _link(first, "older")).content.decode()
    assert "Showing 51–100 of about 237 entries" in second
    assert _link(second, "newest") == "?"
    oldest = alice_client.get(url + _link(first, "oldest")).content.decode()
    assert "Showing 188–237 of about 237 entries" in oldest
    assert _link(oldest, "older") is None
    back = alice_client.get(url + _link(oldest, "newer")).content.decode()
    assert "Showing 138–187 of about 237 entries" in back
    assert _ROW_ID.findall(back) == _expected(big_run)[137:187]


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        # A group of several outcomes (one index range per outcome, merged).
        ({"outcome": "succeeded"}, {"outcome__in": ["created", "matched"]}),
        ({"outcome": "already_matched"}, {"outcome": "already_matched"}),
        ({"q": "smith"}, {"record_name__icontains": "smith"}),
        (
            {"q": "smith", "outcome": "succeeded"},
            {"record_name__icontains": "smith", "outcome__in": ["created", "matched"]},
        ),
        ({"q": "r17"}, {"record_id": "r17"}),
    ],
)
def test_filters_and_search_compose_with_paging_both_ways(alice_client, big_run, query, filters):
    expected = _expected(big_run, **filters)
    url = _url(big_run)
    down = _walk(alice_client, url, query, "older")
    assert [rid for p in down for rid in p] == expected
    oldest = _link(alice_client.get(url, query).content.decode(), "oldest")
    if len(expected) <= logpage.PER_PAGE:
        assert oldest is None and len(down) == 1
        return
    up = _walk(alice_client, url, {}, "newer", first=oldest)
    assert [rid for p in reversed(up) for rid in p] == expected


def test_outcome_filter_tells_about_how_many_from_the_run_counters(alice_client, big_run):
    page = alice_client.get(_url(big_run), {"outcome": "succeeded"}).content.decode()
    succeeded = big_run.created_in_lacrm + big_run.matched
    assert f"Showing 1–50 of about {succeeded} entries" in page


def test_search_counts_its_matches_only_up_to_a_cap(alice_client, big_run, monkeypatch):
    url = _url(big_run)
    page = alice_client.get(url, {"q": "smith"}).content.decode()
    smiths = len(_expected(big_run, record_name__icontains="smith"))
    assert smiths > logpage.PER_PAGE
    assert f"Showing 1–50 of {smiths} entries" in page
    monkeypatch.setattr(logsearch, "SEARCH_COUNT_CAP", 60)
    page = alice_client.get(url, {"q": "smith"}).content.decode()
    assert "Showing 1–50 of more than 60 entries" in page


def test_one_or_two_letters_match_the_start_of_a_word_in_the_name(alice_client, big_run):
    url = _url(big_run)
    rows = _walk(alice_client, url, {"q": "Li"}, "older")
    names = set(
        SyncLogEntry.objects.filter(record_id__in=[r for p in rows for r in p]).values_list(
            "record_name", flat=True
        )
    )
    # "Wei Li" (a word), "Lisa Moss" (the name); not "Emilia Stone" (inside a word).
    assert names == {"Wei Li", "Lisa Moss"}
    connor = _walk(alice_client, url, {"q": "co"}, "older")
    assert {r for p in connor for r in p} == set(_expected(big_run, record_name="Ann O'Connor"))
    three = _walk(alice_client, url, {"q": "mil"}, "older")
    assert {r for p in three for r in p} == set(_expected(big_run, record_name="Emilia Stone"))


def _log_counts(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and "sync_synclogentry" in q["sql"].lower()
    ]


@pytest.mark.parametrize(
    "query",
    [{}, {"outcome": "succeeded"}, {"outcome": "already_matched"}, {"oldest": "1"}],
)
def test_the_page_never_counts_the_log_table(alice_client, big_run, query):
    url = _url(big_run)
    with CaptureQueriesContext(connection) as captured:
        page = alice_client.get(url, query).content.decode()
        other = _link(page, "older") or _link(page, "newer")
        if other:
            alice_client.get(url + other)
    assert "entries" in page
    assert _log_counts(captured.captured_queries) == []


def test_a_search_reads_at_most_one_more_match_than_it_counts(alice_client, big_run):
    with CaptureQueriesContext(connection) as captured:
        alice_client.get(_url(big_run), {"q": "smith"})
    assert _log_counts(captured.captured_queries) == []
    limits = [
        q["sql"] for q in captured.captured_queries if "sync_synclogentry" in q["sql"].lower()
    ]
    assert any(f"LIMIT {logsearch.SEARCH_COUNT_CAP + 1}" in sql for sql in limits)


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ({"q": "smith"}, {"record_name__icontains": "smith"}),
        (
            {"q": "example", "outcome": "succeeded"},
            {"record_email__icontains": "example", "outcome__in": ["created", "matched"]},
        ),
    ],
)
def test_a_search_with_more_matches_than_the_cap_pages_in_time_order(
    alice_client, big_run, monkeypatch, query, filters
):
    # Past the cap a search walks the run in time order instead of collecting its matches.
    monkeypatch.setattr(logsearch, "SEARCH_COUNT_CAP", 20)
    expected = _expected(big_run, **filters)
    url = _url(big_run)
    first = alice_client.get(url, query).content.decode()
    assert "of more than 20 entries" in first
    down = _walk(alice_client, url, query, "older")
    assert [rid for p in down for rid in p] == expected
    up = _walk(alice_client, url, {}, "newer", first=_link(first, "oldest"))
    assert [rid for p in reversed(up) for rid in p] == expected


@pytest.mark.parametrize(
    "query",
    [
        "older=nonsense",
        "newer=99999999999999999.1",
        "older=999999999999999999.1",
        "older=1.2&start=abc",
        "newer=-5.3",
        "start=99999999999999999999",
        "page=3",
    ],
)
def test_made_up_page_links_show_a_page_instead_of_failing(alice_client, big_run, query):
    response = alice_client.get(f"{_url(big_run)}?{query}")
    assert response.status_code == 200
    assert len(_ROW_ID.findall(response.content.decode())) > 0


def test_a_link_past_the_last_entry_shows_the_oldest_page(alice_client, big_run):
    oldest = SyncLogEntry.objects.filter(run=big_run).order_by("at", "id").first()
    token = logpage.Cursor.of(oldest).token()
    page = alice_client.get(_url(big_run), {"older": token}).content.decode()
    assert _ROW_ID.findall(page) == _expected(big_run)[-50:]


@pytest.mark.parametrize("query", ["", "?older=1.1", "?newer=1.1", "?oldest=1", "?q=smith"])
def test_outsider_gets_404_for_every_page_of_the_log(bob_client, big_run, query):
    assert bob_client.get(_url(big_run) + query).status_code == 404


@pytest.mark.parametrize("param", ["older", "newer", "start", "oldest"])
def test_a_nul_in_a_page_link_gets_a_clear_400(alice_client, big_run, param):
    response = alice_client.get(f"{_url(big_run)}?{param}=1%00")
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()


def test_a_search_leaves_the_planner_settings_as_it_found_them(alice_client, big_run):
    # The test runs in one transaction, as a request does under ATOMIC_REQUESTS: a SET LOCAL
    # left behind would slow every later query of it.
    alice_client.get(_url(big_run), {"q": "smith"})
    with connection.cursor() as cursor:
        for name, value in [("enable_seqscan", "on"), ("enable_bitmapscan", "on"), ("jit", "on")]:
            cursor.execute(f"SHOW {name}")
            assert cursor.fetchone()[0] == value, name
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] != "0"
