"""(being written)"""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


queue = bulk = undo = decide = add_tag = retract_tag = _todo
