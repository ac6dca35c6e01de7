"""The codebook's account of the designed overlap: each site's second-review plan (share and
seed), every change of it (from the audit log), the recipe that redoes the draw, and how the
exported comments came to be in the overlap."""

from moderation.actions import Action
from moderation.export.writers import _iso
from moderation.models import AuditEvent, SecondReviewPlan

RECIPE = (
    "A comment is drawn for a blind second review when it is first judged (approved or "
    "removed, or reviewed, while nobody else has tagged, decided or reviewed it) and "
    "int(HMAC-SHA256(key=seed, msg='comment:<comment_id>') as hex, first 16 digits, base 16) "
    "/ 2**64 < share / 100, with the share and seed in force then. In Python: "
    "int(hmac.new(seed.encode(), f'comment:{comment_id}'.encode(), "
    "hashlib.sha256).hexdigest()[:16], 16) / 2**64 < share / 100."
)
SAMPLE_VALUES = {
    "share": "drawn under its site's share when first judged, then reviewed blind by a "
    "second moderator (once one has)",
    "gold": "a gold item: reference labels set by an Admin; every moderator who had not "
    "judged it meets it, unannounced, in their Second review stream",
}
BLINDNESS = (
    "A second reviewer sees the comment, its parent, its article's title and the site's "
    "categories: never its status, decision, tags, notes, screening suggestions or the names "
    "of those who judged it. A moderator who tagged, decided or reviewed a comment is never "
    "given it for a second review. Adjudications are recorded apart and change no label."
)


def sampling_codebook(site_names: dict[int, str], sampled: dict[str, int]) -> dict:
    """`site_names`: the export's sites, id -> name; `sampled`: reviewed comments in the
    designed overlap per reason."""
    plans = SecondReviewPlan.objects.filter(site__in=site_names)
    history = AuditEvent.objects.filter(action=Action.REVIEW_PLAN, site__in=site_names).order_by(
        "site_id", "created_at", "id"
    )
    changes: dict[int, list] = {}
    for site_id, at, after in history.values_list("site_id", "created_at", "after"):
        changes.setdefault(site_id, []).append(
            {"at": _iso(at), "share": after.get("share"), "seed": after.get("seed")}
        )
    return {
        "recipe": RECIPE,
        "blindness": BLINDNESS,
        "sample_values": SAMPLE_VALUES,
        "sites": [
            {
                "site": site_names[plan.site_id],
                "share": plan.share,
                "seed": plan.seed,
                "changes": changes.get(plan.site_id, []),
            }
            for plan in sorted(plans, key=lambda p: site_names[p.site_id])
        ],
        "reviewed_in_overlap": sampled,
    }
