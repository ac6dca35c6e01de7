"""An Admin uploads an export through the real form, watches its progress and reads the
report; the worker runs when the test says, as `make run`'s would beside the server."""

from pathlib import Path

import pytest
from django.core.management import call_command

from archive.models import Comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "wxr" / "example.xml"


def test_an_admin_uploads_a_file_watches_progress_and_reads_the_report(
    page, live_server, log_in, admin
):
    log_in(admin.username)
    page.get_by_role("link", name="Imports").click()
    assert page.get_by_text("Nothing has been uploaded yet").is_visible()
    page.set_input_files("#id_file", str(EXAMPLE))
    page.get_by_role("button", name="Upload and import").click()

    page.get_by_role("heading", name="Import of example.xml").wait_for()
    assert page.locator("#import-state").inner_text() == "Waiting for a worker"
    assert page.get_by_text("Waiting for a worker to start it.").is_visible()
    assert page.locator("#import-progress progress").is_visible()

    # The worker starts; the page, polling, shows the report without being reloaded by hand.
    call_command("task_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    report = page.locator("#import-report")
    report.wait_for()
    assert page.locator("#import-state").inner_text() == "Imported"
    assert "Comments: 3 new, 0 updated, 0 unchanged" in report.inner_text()
    assert "spam: 1" in report.inner_text()
    assert Comment.objects.filter(article__source_key="10").count() == 3

    page.get_by_role("link", name="← Imports").click()
    row = page.locator("table.imports tbody tr").first
    assert "example.xml" in row.inner_text()
    assert "Imported" in row.inner_text()
