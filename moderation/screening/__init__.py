"""Screening: suggestions of likely violations before a moderator reads a comment (issue 13).

- `words`: word lists per site and category, *banned* terms (a comment matching one is
  flagged for the category) and *suspect* ones (only highlighted), matched whole-word or as
  a prefix (`idiot*`), case- and accent-insensitive, through common obfuscations.

Suggestions never decide and never tag: a moderator's action is always their own.
"""
