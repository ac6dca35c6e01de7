"""python manage.py train_screening [--site NAME]: learn each category of each site (or one)
from its moderators' labels, once it has enough (moderation.screening.training.MIN_LABELS of
each class), print the cross-validated figures, and screen the site's comments again with
the new models. The background task `retrain_site` does the same for one site."""

from django.core.management.base import BaseCommand

from moderation.management.sites import chosen_sites
from moderation.screening import scoring, training


class Command(BaseCommand):
    help = "Train the learned screening models from moderators' labels, then rescore."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="a site's name (default: every site)")
        parser.add_argument(
            "--no-rescore", action="store_true", help="train only; leave the scores as they are"
        )

    def handle(self, *args, site=None, no_rescore=False, **options):
        sites = chosen_sites(site)
        for each in sites:
            trained = False
            for category, model in training.train_site(each.pk):
                if model is None:
                    data = training.labelled(category)
                    self.stdout.write(
                        f"{each.name} · {category.name}: {data.positives} positive and "
                        f"{data.negatives} negative labels; {training.MIN_LABELS} of each "
                        "are needed to learn it."
                    )
                    continue
                trained = True
                f = model.figures
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{each.name} · {category.name}: model v{model.version} from "
                        f"{model.positives}+{model.negatives} labels; cross-validated "
                        f"precision {f['precision']:.3f}, recall {f['recall']:.3f}, "
                        f"F1 {f['f1']:.3f}, average precision {f['average_precision']:.3f} "
                        f"(threshold {f['threshold']})"
                    )
                )
            if trained and not no_rescore:
                scored = scoring.rescore_site(each.pk)
                self.stdout.write(f"{each.name}: {scored} comment(s) screened again.")
