"""What the screening commands share: the sites a `--site NAME` option names."""

from django.core.management.base import CommandError

from archive.models import Site


def chosen_sites(name: str | None):
    """Every site, by name; or the one named, else a CommandError listing the names."""
    sites = Site.objects.order_by("name")
    if name is None:
        return sites
    chosen = sites.filter(name=name)
    if not chosen.exists():
        names = ", ".join(sites.values_list("name", flat=True))
        raise CommandError(f"No site named {name!r}. Sites: {names or 'none yet'}.")
    return chosen
