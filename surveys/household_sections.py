"""Sections that other apps add to the household's page (``/h/<token>/``).

Dependencies run one way (DESIGN.md): ``acceptance`` may import ``surveys``, never the
reverse. So the household page does not ask the acceptance app whether its satisfaction
survey is open; the acceptance app registers a section here instead, in its
``AppConfig.ready()``, and the page renders whatever is registered::

    household_sections.register(survey_card)

A section is a function ``(household, token) -> (template_name, context) or None``: None when
it has nothing to show this household. It runs on every view of the page, so it should cost
one query at most.
"""

from collections.abc import Callable

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

Section = Callable[..., tuple[str, dict] | None]

_sections: list[Section] = []


def register(section: Section) -> Section:
    """Add ``section`` to the household's page (once, however often ``ready()`` runs)."""
    if section not in _sections:
        _sections.append(section)
    return section


def render_sections(request, household, token) -> list[SafeString]:
    """The HTML of every registered section that has something for ``household``, in the
    order the sections were registered."""
    rendered = []
    for section in _sections:
        shown = section(household, token)
        if shown is not None:
            template_name, context = shown
            rendered.append(render_to_string(template_name, context, request=request))
    return rendered
