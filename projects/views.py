"""Public notices and disclosures (no login; no personal data)."""

from django.http import Http404


def notice_index(request):
    raise Http404


def notice_detail(request, pk):
    raise Http404
