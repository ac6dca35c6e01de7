"""python manage.py create_demo_accounts: the accounts `make run` needs to be usable at once.

Creates `admin` (a superuser in the Admin role), `moderator` and `researcher`, each with a
random password printed once: an account that already exists is left as it is, its password
unchanged.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from moderation import permissions

DEMO_ACCOUNTS = [
    ("admin", permissions.ADMIN, {"is_staff": True, "is_superuser": True}),
    ("moderator", permissions.MODERATOR, {}),
    ("researcher", permissions.RESEARCHER, {}),
]


class Command(BaseCommand):
    help = "Create the demo accounts (admin, moderator, researcher); passwords printed once."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        for username, role, flags in DEMO_ACCOUNTS:
            if User.objects.filter(username=username).exists():
                self.stdout.write(
                    f"{username}: already exists, password unchanged "
                    f"(reset it with: .venv/bin/python manage.py changepassword {username})"
                )
                continue
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(username=username, password=password, **flags)
            user.groups.add(Group.objects.get(name=role))
            self.stdout.write(
                self.style.SUCCESS(f"{username}: created, password {password}")
                + "  (shown only now: note it down)"
            )
