"""(being written)"""

from django.http import HttpResponse

from moderation import permissions


@permissions.require(permissions.EXPORT_DATA)
def _todo(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


export_page = comments_file = labels_file = codebook_file = bundle_file = _todo
