"""python manage.py evaluate_screening [--site NAME]: how good each screening source is,
per category, against the site's moderators' labels: precision, recall and F1 of "flagged"
(score >= the threshold), average precision, and the labels behind each figure. The learned
model's figures are cross-validated (it never scores a comment it was trained on)."""

from django.core.management.base import BaseCommand

from moderation.management.sites import chosen_sites
from moderation.models import Category
from moderation.screening import training


class Command(BaseCommand):
    help = "Report each screening source's precision, recall, F1 and average precision."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="a site's name (default: every site)")

    def handle(self, *args, site=None, **options):
        sites = chosen_sites(site)
        header = (
            f"{'source':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'avg prec':>8} "
            f"{'labels':>7} {'pos':>5}"
        )
        for each in sites:
            for category in Category.objects.filter(site=each, active=True).order_by("order"):
                result = training.evaluate(category)
                self.stdout.write(
                    self.style.MIGRATE_HEADING(
                        f"{each.name} · {category.name}: {result['positives']} positive, "
                        f"{result['negatives']} negative labels"
                    )
                )
                if not result["sources"]:
                    self.stdout.write("  no labels yet")
                    continue
                self.stdout.write("  " + header)
                for name, f in result["sources"].items():
                    self.stdout.write(
                        f"  {name:<10} {f['precision']:>9.3f} {f['recall']:>7.3f} {f['f1']:>6.3f} "
                        f"{f['average_precision']:>8.3f} {f['labels']:>7} {f['positives']:>5}"
                    )
                self.stdout.write(
                    f"  flagged at a score of {training.FLAG_THRESHOLD}; the model's figures "
                    f"from {training.FOLDS}-fold cross-validation"
                    if "model" in result["sources"]
                    else f"  flagged at a score of {training.FLAG_THRESHOLD}; no learned model "
                    f"until {training.MIN_LABELS} labels of each class"
                )
