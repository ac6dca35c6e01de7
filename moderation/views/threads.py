"""(being written)"""

from archive.views import thread as archive_thread

thread = archive_thread
public = archive_thread
