"""Read the values of an HTML form the way a browser would submit them, so a test can post a
page back with a few changes (admin pages with inline tables included)."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.data[name] = attrs.get("value", "on")
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                self.data[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select, self._select_first = name, None
            self.data[name] = ""
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self.data[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += (
                data.lstrip("\n") if not self.data[self._textarea] else data
            )


def form_data(html: str, **changes) -> dict[str, str]:
    """The submitted values of the page's form(s), with ``changes`` applied."""
    reader = _FormReader()
    reader.feed(html)
    data = {k: v for k, v in reader.data.items() if k not in {"csrfmiddlewaretoken", "language"}}
    data.update({key: str(value) for key, value in changes.items()})
    return data
