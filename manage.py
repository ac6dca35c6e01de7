#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

Reads `.env` beside this file first (written by `make run` for local use; see
moderation/env.py): variables already in the environment win over it.
"""

import os
import sys
from pathlib import Path


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation.settings")
    from moderation.env import load_env_file

    load_env_file(Path(os.environ.get("DJANGO_ENV_FILE", Path(__file__).with_name(".env"))))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
