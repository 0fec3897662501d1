"""Entry identity and story links.

A story is identified across feeds by its normalized link: lower-case scheme and host,
no default port, no fragment, no trailing slash, and no tracking parameters
(``utm_*``, ``fbclid``, ``gclid`` and the like), the remaining query sorted.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "_hs", "pk_", "mtm_")
_TRACKING = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "ysclid",
        "igshid",
        "mkt_tok",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "cmpid",
        "at_medium",
        "at_campaign",
        "ocid",
        "sr_share",
        "_ga",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_link(link: str) -> str:
    """The canonical form of ``link`` used to recognise the same story twice."""
    link = link.strip()
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return link
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = urlencode(
        sorted(q for q in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(q[0]))
    )
    return urlunsplit((scheme, host, path, query, ""))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING or lowered.startswith(_TRACKING_PREFIXES)


MAX_KEY = 512


def bounded(key: str) -> str:
    """``key``, or for a very long one its start and a hash of the whole.

    Keys are indexed, and a database index entry has a size limit (PostgreSQL's is about
    2.7 KB): a hostile feed's 10 KB guid must not stop the feed.
    """
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: MAX_KEY - 72]}#sha256:{digest}"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def guid_key(guid: str | None) -> str:
    """A guid as an entry's key: stripped, without what no database stores alike (NUL,
    which PostgreSQL refuses in text, and lone surrogates, which have no UTF-8), and
    otherwise as written, so keys stored before stay the same. Empty if nothing is left:
    the entry is then known by its link."""
    if not guid:
        return ""
    return _UNSTORABLE.sub(lambda found: "" if found.group() == "\x00" else "\ufffd", guid).strip()


def entry_key(guid: str | None, link: str | None, title: str, content: str) -> str:
    """Identity within a feed: the guid, else the normalized link, else a content hash."""
    stored = guid_key(guid)
    if stored:
        return bounded(stored)
    if link and link.strip():
        return bounded(normalize_link(link))
    digest = hashlib.sha256(f"{title}\x00{content}".encode()).hexdigest()
    return f"sha256:{digest[:32]}"
