"""The data statement (Bender & Friedman 2018): facts we know, and what the researcher must
add; as codebook values and as markdown. The software version the codebook cites."""

from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from moderation.export.reviews import Summary
from moderation.export.writers import _iso

if TYPE_CHECKING:
    from moderation.export.build import Export


TO_COMPLETE = "[to be completed by the researcher]"


def data_statement(export: "Export", summary: Summary) -> dict:
    sites = sorted(set(export._site_names.values()))
    return {
        "curation_rationale": (
            f"Reader comments from {', '.join(sites) or 'no site'}, selected with the filters "
            f"listed under `filters` ({summary.comments} comments, {summary.reviewed} reviewed "
            "by the sites' moderators against each site's posted discussion policy). "
            f"Purpose of this export: {TO_COMPLETE}"
        ),
        "language_variety": f"{TO_COMPLETE} (e.g. en-US; the archive does not record language)",
        "speakers": (
            "Readers who commented on the sites' articles, identified only by pseudonyms of "
            f"their display names; no demographic information is collected. {TO_COMPLETE}"
        ),
        "annotators": (
            "The sites' moderators, identified by pseudonyms, applying the policy versions and "
            f"category definitions in this codebook. Training and demographics: {TO_COMPLETE}"
        ),
        "speech_situation": (
            f"Public, asynchronous comment threads under news articles{_when_posted(summary)}; "
            "replies are threaded (position, parent_id). Moderators saw the text exactly as "
            "exported in `text`."
        ),
        "text_characteristics": f"{TO_COMPLETE}",
        "provenance": (
            "Imported from page captures and WordPress exports of the sites (see each "
            "article's URL); labels from the moderation dashboard's tags and decisions, every "
            "one recorded in its hash-chained audit log (see `audit.head_hash`)."
        ),
    }


def _when_posted(summary: Summary) -> str:
    """When the comments were posted, as a phrase to follow "comment threads": their first and
    last posting times, and how many have none (pages without dates); never "None"."""
    first, last = _iso(summary.first_posted), _iso(summary.last_posted)
    undated = summary.undated
    if first is None or last is None:
        # No comment with a posting time: none recorded, or no comment at all.
        return " (no posting time is recorded for them)" if summary.comments else ""
    when = f", posted on {first}" if first == last else f", posted between {first} and {last}"
    if undated:
        when += f" ({undated} without a recorded posting time)"
    return when


def data_statement_markdown(codebook: dict) -> str:
    statement = codebook.get("data_statement", {})
    lines = [
        "# Data statement",
        "",
        f"Export of {codebook.get('exported_at') or 'unknown date'}, discussion-moderation "
        f"{codebook.get('software', {}).get('version') or 'unknown version'}. Columns, "
        "definitions and agreement figures: see the codebook.",
        "",
    ]
    lines += [f"> {warning}\n" for warning in codebook.get("warnings", [])]
    for key, text in statement.items():
        lines += [f"## {key.replace('_', ' ').capitalize()}", "", text, ""]
    return "\n".join(lines)


def software_version() -> str:
    try:
        return metadata.version("discussion-moderation")
    except metadata.PackageNotFoundError:
        pass
    try:
        import tomllib

        pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
        return tomllib.loads(pyproject.read_text())["project"]["version"]
    except (OSError, KeyError, ValueError):
        return "unknown"
