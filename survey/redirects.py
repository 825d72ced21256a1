"""Where a `next` given by the browser may send it: a path on this site, nothing else."""

from __future__ import annotations

import re

# A path on this site: one leading slash, then no backslash, no control character (a CR or LF
# would split the Location header) and no second slash that would make it another host.
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\x00-\x1f\x7f]*")


def local_target(target: str | None, fallback: str, *, within: str = "/") -> str:
    """`target` when it is a path on this site under `within`, else `fallback`."""
    if target and _LOCAL_PATH.fullmatch(target) and target.startswith(within):
        return target
    return fallback
