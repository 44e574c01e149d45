"""Runs as a person reads them (issue 16): the total over a stopped and resumed sync, elapsed
time and ETA, the throttle's next-update times, outcome help, and Retry failed items."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.records import ContactRecord
from integrations.sandbox import runtime
from integrations.sandbox.qbo.store import load_customers
from summaries.kind import KIND as SUMMARIES
from summaries.models import ContactSummaryState
from summaries.throttle import throttle_notice
from sync import outcomes, runs, runview
from sync.contacts.plan import ContactPlan, NewLink, NewReview, entry, restricted
from sync.models import ContactLink, SyncLogEntry, SyncRun
from tests.fixtures_worker import purge_broker
from tests.sync.helpers import assert_counters_match_logs, run_here


def workspace_of(user):
    return user.workspaces.get()


def make_run(workspace, **fields) -> SyncRun:
    fields.setdefault("kind", SyncRun.Kind.CONTACTS)
    fields.setdefault("status", SyncRun.Status.COMPLETED)
    fields.setdefault("planned", True)
    return SyncRun.objects.create(workspace=workspace, **fields)


# --- The whole sync over stopped and resumed runs ---------------------------------------------


@pytest.mark.django_db
def test_a_stopped_and_resumed_sync_shows_its_total_over_both_runs(alice_client, alice):
    ws = workspace_of(alice)
    make_run(ws, status=SyncRun.Status.STOPPED, total=51, processed=20, created_in_lacrm=20)
    last = make_run(ws, total=31, processed=31, created_in_lacrm=31)
    assert runview.sync_total(last) == runview.SyncTotal(runs=2, done=51, total=51)
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert "<strong>51 of 51</strong> contacts to create done over 2 runs" in page


@pytest.mark.django_db
def test_failures_of_the_stopped_run_are_not_counted_twice(alice):
    ws = workspace_of(alice)
    # 20 processed, 2 of them failed: those two are in the resumed run's plan again.
    make_run(ws, status=SyncRun.Status.STOPPED, total=51, processed=20, failed=2)
    last = make_run(ws, status=SyncRun.Status.RUNNING, total=33, processed=10)
    assert runview.sync_total(last) == runview.SyncTotal(runs=2, done=28, total=51)


@pytest.mark.django_db
def test_a_completed_run_before_starts_a_new_sync(alice):
    ws = workspace_of(alice)
    make_run(ws, status=SyncRun.Status.STOPPED, total=10, processed=5)
    make_run(ws, total=5, processed=5)  # finished that sync
    make_run(ws, kind=SUMMARIES, status=SyncRun.Status.STOPPED, total=9, processed=1)
    fresh = make_run(ws, status=SyncRun.Status.RUNNING, total=4, processed=1)
    assert runview.sync_total(fresh) is None  # a summaries stop does not belong to it


@pytest.mark.django_db
def test_three_stops_in_a_row_are_one_sync_and_another_kind_between_does_not_break_it(alice):
    ws = workspace_of(alice)
    make_run(ws, status=SyncRun.Status.STOPPED, total=60, processed=20)
    make_run(ws, kind=SUMMARIES, total=3, processed=3)
    make_run(ws, status=SyncRun.Status.STOPPED, total=40, processed=20)
    last = make_run(ws, total=20, processed=20)
    assert runview.sync_total(last) == runview.SyncTotal(runs=3, done=60, total=60)


@pytest.mark.django_db
def test_a_run_that_continues_nothing_shows_no_total(alice_client, alice):
    ws = workspace_of(alice)
    make_run(ws, total=12, processed=12)
    assert "done over" not in alice_client.get(reverse("dashboard")).content.decode()


# --- Elapsed time and ETA -------------------------------------------------------------------


@pytest.mark.django_db
def test_eta_comes_from_the_runs_own_rate(alice):
    now = timezone.now()
    run = make_run(
        workspace_of(alice),
        status=SyncRun.Status.RUNNING,
        total=80,
        processed=20,
        started_at=now - timedelta(seconds=60),
    )
    assert runview.elapsed(run, now) == timedelta(seconds=60)
    assert runview.eta(run, now) == timedelta(seconds=180)  # 60 left at 20 a minute
    assert runview.duration_text(runview.eta(run, now)) == "3 min"
    run.processed = 0
    assert runview.eta(run, now) is None  # no rate yet


@pytest.mark.django_db
def test_the_panel_shows_elapsed_and_time_left_while_running_and_the_duration_after(
    alice_client, alice
):
    now = timezone.now()
    run = make_run(
        workspace_of(alice),
        status=SyncRun.Status.RUNNING,
        total=80,
        processed=20,
        started_at=now - timedelta(minutes=2),
    )
    panel = reverse("sync:run_panel", kwargs={"run_id": run.id})
    page = alice_client.get(panel).content.decode()
    assert "Running for 2 min" in page and "min left at this pace" in page
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.COMPLETED,
        processed=80,
        finished_at=run.started_at + timedelta(seconds=95),
    )
    page = alice_client.get(panel).content.decode()
    assert "Took 1 min 35 s" in page and "left at this pace" not in page


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (60, "1 min"),
        (200, "3 min 20 s"),
        (3600, "1 h"),
        (3900, "1 h 5 min"),
    ],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert runview.duration_text(timedelta(seconds=seconds)) == text


# --- Throttled summaries ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_throttled_summaries_run_says_when_the_next_updates_are_possible(alice_client, alice):
    ws = workspace_of(alice)
    now = timezone.now().replace(microsecond=0)
    run = make_run(ws, kind=SUMMARIES, total=0, processed=0, throttled=2)
    for lacrm_id, hours_ago in (("L1", 20), ("L2", 3)):
        ContactSummaryState.objects.create(
            workspace=ws, lacrm_id=lacrm_id, last_posted_at=now - timedelta(hours=hours_ago)
        )
        SyncLogEntry.objects.create(
            workspace=ws, run=run, outcome="throttled", system="lacrm", record_id=lacrm_id
        )
    # A contact throttled in another run does not count for this one.
    ContactSummaryState.objects.create(workspace=ws, lacrm_id="L3", last_posted_at=now)
    first, last = now + timedelta(hours=4), now + timedelta(hours=21)
    notice = throttle_notice(run, now=now)
    assert f"the first can be updated again after {first:%Y-%m-%d %H:%M} UTC" in notice
    assert f"all of them after {last:%Y-%m-%d %H:%M} UTC" in notice
    assert notice.startswith("2 contacts had a summary note less than 24 hours old")
    page = alice_client.get(reverse("sync:run_detail", kwargs={"run_id": run.id})).content
    assert f"all of them after {last:%Y-%m-%d %H:%M} UTC" in page.decode()
    assert "all of them can be updated now" in throttle_notice(run, now=now + timedelta(days=1))


@pytest.mark.django_db
def test_contacts_throttled_within_one_minute_get_one_time(alice):
    ws = workspace_of(alice)
    now = timezone.now().replace(second=10, microsecond=0)
    run = make_run(ws, kind=SUMMARIES, throttled=2)
    for lacrm_id, seconds in (("L1", 0), ("L2", 30)):
        ContactSummaryState.objects.create(
            workspace=ws, lacrm_id=lacrm_id, last_posted_at=now + timedelta(seconds=seconds)
        )
        SyncLogEntry.objects.create(
            workspace=ws, run=run, outcome="throttled", system="lacrm", record_id=lacrm_id
        )
    eligible = now + timedelta(hours=24)
    assert throttle_notice(run, now=now).endswith(
        f"next update possible after {eligible:%Y-%m-%d %H:%M} UTC."
    )


@pytest.mark.django_db
def test_a_summaries_run_that_throttled_nothing_has_no_notice(alice):
    run = make_run(workspace_of(alice), kind=SUMMARIES, notes_added=3)
    assert throttle_notice(run) == ""


# --- Outcome help ---------------------------------------------------------------------------


def test_every_outcome_has_a_help_text():
    missing = [value for value in outcomes.known() if not outcomes.help_text(value)]
    assert not missing, f"outcomes without help: {missing}"
    labels = [o.label for o in outcomes.legend()]
    assert "Already matched" in labels and "Needs review" in labels and "Throttled (24 h)" in labels


@pytest.mark.django_db
def test_the_logs_page_has_a_legend_and_each_badge_a_title(alice_client, alice):
    ws = workspace_of(alice)
    run = make_run(ws, already_matched=1)
    SyncLogEntry.objects.create(workspace=ws, run=run, outcome="already_matched", record_id="9")
    page = alice_client.get(reverse("sync:run_detail", kwargs={"run_id": run.id})).content.decode()
    assert 'id="outcome-legend"' in page
    assert outcomes.help_text("needs_review") in page
    assert f'title="{outcomes.help_text("already_matched")}">Already matched</span>' in page


# --- Retry failed items: the plan ----------------------------------------------------------


def person(system: str, rid: str, name: str) -> ContactRecord:
    return ContactRecord(system=system, id=rid, display_name=name, first_name=name)


def test_a_restricted_plan_keeps_only_what_is_about_the_wanted_records():
    ada, ben = person("qbo", "1", "Ada"), person("qbo", "2", "Ben")
    cy_l, dee = person("lacrm", "L3", "Cy"), person("lacrm", "L4", "Dee")
    plan = ContactPlan()
    plan.log("already_matched", ben, "linked before", target_id="L9")
    plan.log("matched", ada, "same email", target_id="L3")
    plan.links.append(NewLink(qbo=ada, lacrm=cy_l, method="email", reason="same email"))
    plan.log("needs_review", dee, "two candidates")
    plan.reviews.append(NewReview(record=dee, reason="two candidates", candidates=("7", "8")))
    plan.creates += [ben, dee]
    plan.refreshed = {"row": {"qbo_name": "Ben"}}

    kept = restricted(plan, {("lacrm", "L3")})  # Cy failed last time
    assert [e["record_id"] for e in kept.entries] == ["1"]  # the match that names Cy
    assert kept.counts["matched"] == 1 and kept.counts["already_matched"] == 0
    assert [(link.qbo.id, link.lacrm.id) for link in kept.links] == [("1", "L3")]
    assert kept.reviews == [] and kept.creates == []
    assert kept.refreshed == plan.refreshed

    kept = restricted(plan, {("qbo", "2"), ("lacrm", "L4")})
    assert [r.id for r in kept.creates] == ["2", "L4"]
    assert [r.record.id for r in kept.reviews] == ["L4"]
    assert kept.counts == {"already_matched": 1, "needs_review": 1, "skipped": 0, "matched": 0}
    assert entry("matched", ada)["record_id"] == "1"


# --- Retry failed items: the action ----------------------------------------------------------


@pytest.mark.django_db
def test_retry_is_post_only_scoped_and_needs_csrf(alice, bob_client):
    ws = workspace_of(alice)
    run = make_run(ws, failed=2)
    url = reverse("sync:retry_failed", kwargs={"run_id": run.id})
    assert bob_client.post(url).status_code == 404  # an outsider
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert SyncRun.objects.count() == 1


@pytest.mark.django_db
def test_retry_is_refused_with_the_reason_when_it_cannot_start(alice_client, alice):
    run = make_run(workspace_of(alice), failed=2)
    url = reverse("sync:retry_failed", kwargs={"run_id": run.id})
    page = alice_client.post(url, follow=True).content.decode()
    assert "Not retried: QuickBooks is not connected" in page
    assert SyncRun.objects.count() == 1
    nothing = make_run(workspace_of(alice))
    url = reverse("sync:retry_failed", kwargs={"run_id": nothing.id})
    assert "nothing failed in this run" in alice_client.post(url, follow=True).content.decode()


@pytest.mark.django_db
def test_retry_is_offered_only_on_a_finished_run_with_failures_of_a_kind_that_can(
    alice_client, alice
):
    ws = workspace_of(alice)
    failed = make_run(ws, failed=2, processed=5, total=5)
    detail = reverse("sync:run_detail", kwargs={"run_id": failed.id})
    page = alice_client.get(detail).content.decode()
    assert 'id="retry-failed"' in page and 'data-confirm="Retry the 2 failed items' in page
    summaries = make_run(ws, kind=SUMMARIES, failed=1)
    page = alice_client.get(reverse("sync:run_detail", kwargs={"run_id": summaries.id})).content
    assert 'id="retry-failed"' not in page.decode() and 'id="retry-hint"' in page.decode()
    clean = make_run(ws, processed=5, total=5)
    page = alice_client.get(reverse("sync:run_detail", kwargs={"run_id": clean.id})).content
    assert 'id="retry-failed"' not in page.decode() and 'id="retry-hint"' not in page.decode()


def quick_retries(settings):
    settings.INTEGRATION_RETRY_TRIES = 2
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.01
    settings.INTEGRATION_RETRY_CAP_SECONDS = 0.02


def finish_here(run: SyncRun) -> SyncRun:
    """Take a queued run to its end in this process, through the functions the tasks call."""
    runs.execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        runs.execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    purge_broker()
    return run


PEOPLE = ("Ada Retry", "Ben Retry", "Cy Retry")


@pytest.mark.django_db(transaction=True)
def test_retry_failed_items_retries_exactly_the_failed_record(connected_workspace_empty, settings):
    connected = connected_workspace_empty
    ws = connected.workspace
    quick_retries(settings)
    # The sandbox fails calls by their order: creates one after another, so "the first create
    # and its retry" is one contact (test_concurrent_batches covers calls in flight together).
    settings.SYNC_CALLS_IN_FLIGHT = 1
    customers = [
        {
            "GivenName": name.split()[0],
            "FamilyName": "Retry",
            "PrimaryEmailAddr": {"Address": f"{name.split()[0].lower()}@retry.example"},
        }
        for name in PEOPLE
    ]
    load_customers(connected.qbo_company, customers, invoices_per_customer=0)
    # The first create call and its one retry fail: that contact fails, the others are made.
    runtime.fail_calls("lacrm", "CreateContact", runtime.Fault.SERVER_ERROR, [1, 2])
    first = run_here(ws)
    assert first.status == SyncRun.Status.COMPLETED, first.failure_reason
    assert (first.failed, first.created_in_lacrm) == (1, 2)
    failure = SyncLogEntry.objects.get(run=first, outcome="failed")

    # A customer added since: a full sync would create it, the retry must not.
    load_customers(
        connected.qbo_company,
        [
            {
                "GivenName": "Dee",
                "FamilyName": "Later",
                "PrimaryEmailAddr": {"Address": "d@l.example"},
            }
        ],
        invoices_per_customer=0,
    )
    url = reverse("sync:retry_failed", kwargs={"run_id": first.id})
    response = connected.client.post(url, follow=True)
    assert "Retrying the 1 failed item." in response.content.decode()
    retry = SyncRun.objects.get(retry_of=first)
    retry = finish_here(retry)

    assert retry.status == SyncRun.Status.COMPLETED, retry.failure_reason
    assert (retry.total, retry.processed, retry.created_in_lacrm, retry.failed) == (1, 1, 1, 0)
    logged = set(SyncLogEntry.objects.filter(run=retry).values_list("record_id", flat=True))
    assert logged == {failure.record_id}
    assert_counters_match_logs(retry)
    link = ContactLink.objects.get(workspace=ws, qbo_id=failure.record_id)
    assert link.state == ContactLink.State.LINKED and link.lacrm_id
    names = set(ContactLink.objects.filter(workspace=ws).values_list("qbo_name", flat=True))
    assert "Dee Later" not in names
    page = connected.client.get(reverse("sync:run_detail", kwargs={"run_id": retry.id})).content
    assert 'id="retry-of"' in page.decode()
    # The retry run is no part of a resumed sync, and is offered no retry of its own.
    assert runview.sync_total(retry) is None
