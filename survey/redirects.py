"""Where a `next` given by the browser may send it: a path on this site, nothing else."""

from __future__ import annotations

import re
from urllib.parse import unquote

# A path on this site: one leading slash, no second one or backslash after it (another host),
# and only the characters a path may hold (RFC 3986): no space, tab or line break for a browser
# to strip or to split the Location header with.
_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")
# The query may say more, but never a backslash or a control character.
_QUERY = re.compile(r"[^\\\x00-\x1f\x7f]*")
# Our own links are encoded once (a search term with a %, twice); more is an attack's layering.
_DECODINGS = 3


def local_target(target: str | None, fallback: str, *, within: str = "/") -> str:
    """`target` when it is a path on this site under `within`, else `fallback`."""
    if target and target.startswith(within) and _is_local(target):
        return target
    return fallback


def _is_local(target: str) -> bool:
    """A same-site path as given and after each decoding a later hop (a proxy, a browser, our
    own login's `next`) might apply, with no dot segment to climb out of `within`."""
    text = target
    for _ in range(_DECODINGS):
        path, _question, query = text.partition("?")
        if not _PATH.fullmatch(path) or not _QUERY.fullmatch(query):
            return False
        if any(segment in (".", "..") for segment in path.split("/")):
            return False
        decoded = unquote(text)
        if decoded == text:
            return True
        text = decoded
    return False
