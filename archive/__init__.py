"""The published record: sites, articles, commenters and comments, and their importers.

The archive never imports the moderation app: it is what was published, moderation is what
people decided about it.
"""
