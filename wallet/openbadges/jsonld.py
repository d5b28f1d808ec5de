"""Canonical JSON-LD: RDF Dataset Canonicalization (URDNA2015 / RDFC-1.0) over bundled contexts.

Every context a credential of ours (or a Blockcerts or Open Badges 3.0 credential from elsewhere)
names is shipped in `contexts/`, byte for byte as published, with its source and SHA-256 in
`contexts/manifest.json`. The document loader answers from those files only: a context that is
not bundled raises `UnknownContextError`, it is never fetched. A remote context could otherwise
change what a signed or anchored credential means after the fact, and fetching it would tell
the context's host who is verifying what.

URDNA2015 as PyLD implements it is RDFC-1.0 except in how N-Quads escape control characters
(PyLD leaves them raw); documents holding one, or an integer JavaScript cannot represent, are
refused rather than hashed differently from other implementations.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from frozendict import frozendict
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from wallet.openbadges.errors import CanonicalisationError, UnknownContextError

ALGORITHM = "URDNA2015"
NQUADS = "application/n-quads"
# Blockcerts' verifier maps every term no context defines into this vocabulary, then refuses
# the document if any quad uses it: a term the contexts do not define would otherwise be
# dropped from the canonical form, so it would be neither signed nor anchored.
FALLBACK_VOCAB = "http://fallback.org/"
_FALLBACK_CONTEXT = frozendict({"@vocab": FALLBACK_VOCAB})
MAX_DOCUMENT_DEPTH = 64
MAX_SAFE_INTEGER = 2**53 - 1
_UNPORTABLE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Resolved contexts, kept for our own canonicalisations only (PyLD's module-wide cache could
# hold a context another loader fetched from the network), one cache per thread (job workers
# canonicalise in threads).
_local = threading.local()
MAX_CACHED_CONTEXTS = 64
MAX_MEMO = 1024  # processed contexts remembered per thread (a credential needs a few dozen)


class _BoundedCache(dict[str, Any]):
    """The mapping PyLD's ContextResolver caches in; emptied when full (inline contexts of
    strangers' documents are cached too, so it must not grow without bound)."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self and len(self) >= MAX_CACHED_CONTEXTS:
            self.clear()
        super().__setitem__(key, value)


def _resolved_contexts() -> _BoundedCache:
    cache: _BoundedCache | None = getattr(_local, "resolved", None)
    if cache is None:
        cache = _local.resolved = _BoundedCache()
    return cache


@dataclass(frozen=True)
class BundledContext:
    """One context file: the URLs it is published at, where our copy came from, its digest."""

    file: str
    urls: tuple[str, ...]
    source: str
    sha256: str


def _contexts_dir() -> resources.abc.Traversable:
    return resources.files("wallet.openbadges").joinpath("contexts")


@cache
def bundled_contexts() -> tuple[BundledContext, ...]:
    """Every bundled context, as `contexts/manifest.json` lists them."""
    manifest = json.loads(_contexts_dir().joinpath("manifest.json").read_bytes())
    return tuple(
        BundledContext(entry["file"], tuple(entry["urls"]), entry["source"], entry["sha256"])
        for entry in manifest["contexts"]
    )


@cache
def _context_bytes() -> Mapping[str, bytes]:
    by_url: dict[str, bytes] = {}
    for context in bundled_contexts():
        data = _contexts_dir().joinpath(context.file).read_bytes()
        if hashlib.sha256(data).hexdigest() != context.sha256:
            raise CanonicalisationError(f"bundled context {context.file} does not match its digest")
        for url in context.urls:
            by_url[url] = data
    return by_url


def context_urls() -> frozenset[str]:
    """The context URLs the loader answers."""
    return frozenset(_context_bytes())


def load_document(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A PyLD document loader that serves bundled contexts and refuses everything else."""
    data = _context_bytes().get(url)
    if data is None:
        raise UnknownContextError(url)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(data),
        # PyLD keeps documents tagged "static" in the resolver's cache across operations.
        "tag": "static",
    }


def _unknown_context(error: BaseException) -> UnknownContextError | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, UnknownContextError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class _Processor(jsonld.JsonLdProcessor):
    """PyLD's processor, remembering every context it processes against an active context.

    Expanding a credential applies the same scoped contexts over and over (every
    `Achievement`, `Profile` or `Result` node applies its type's context, and a type-scoped
    context is applied to a fresh copy of the active context each time, which PyLD's own
    cache never matches). Processed active contexts are immutable and carry a unique
    `_uuid`, so (that id, the local context, the flags) determines the result: it is
    remembered per thread and answered from memory the next time. The local context is
    compared by value on every hit, so another context that happens to sit at the same
    address (PyLD copies and frees documents), or one changed since, is processed afresh.
    """

    def __init__(self, memo: dict[tuple[Any, ...], tuple[Any, Any]]) -> None:
        super().__init__()
        self._memo = memo

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: set[str] | None = None,
    ) -> Any:
        key = _memo_key(active_ctx, local_ctx, options, override_protected, propagate)
        if key is None or cycles is not None or not validate_scoped:
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected,
                propagate,
                validate_scoped,
                cycles,
            )
        known = self._memo.get(key)
        if known is not None and known[0] == local_ctx:
            return known[1]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate
        )
        if isinstance(result, frozendict):
            if len(self._memo) >= MAX_MEMO:
                self._memo.clear()
            self._memo[key] = (copy.deepcopy(local_ctx), result)
        return result


def _memo_key(
    active_ctx: Any,
    local_ctx: Any,
    options: Mapping[str, Any],
    override_protected: bool,
    propagate: bool,
) -> tuple[Any, ...] | None:
    """What determines a processed context, or None when it cannot be remembered (an
    active context that may still change, a context of an odd type)."""
    if not isinstance(active_ctx, frozendict) or "_uuid" not in active_ctx:
        return None
    items = local_ctx if isinstance(local_ctx, list) else [local_ctx]
    if not items or not all(isinstance(item, str | Mapping) for item in items):
        return None
    # a mapping by identity: only a hint, the hit is confirmed by value
    parts = tuple(item if isinstance(item, str) else id(item) for item in items)
    return (
        active_ctx["_uuid"],
        parts,
        override_protected,
        propagate,
        options.get("base"),
        options.get("processingMode"),
    )


def _memo() -> dict[tuple[Any, ...], tuple[Any, Any]]:
    memo: dict[tuple[Any, ...], tuple[Any, Any]] | None = getattr(_local, "memo", None)
    if memo is None:
        memo = _local.memo = {}
    return memo


def _processor(document_loader: DocumentLoader | None) -> jsonld.JsonLdProcessor:
    """A processor remembering processed contexts for the bundled loader (whose contexts
    never change), a plain one for any other."""
    return _Processor(_memo()) if document_loader is None else jsonld.JsonLdProcessor()


def context_resolver() -> ContextResolver:
    """PyLD's context resolver over the bundled contexts, with this thread's cache."""
    return ContextResolver(_resolved_contexts(), load_document)


def _check_portable(document: Mapping[str, Any]) -> None:
    """Refuse what would not canonicalise alike everywhere (and absurd nesting).

    - Control characters other than tab, newline and carriage return: RDFC-1.0 writes them
      as `\\u0001`, `\\b`, ... but PyLD leaves them raw, so the hashes would differ.
    - Integers beyond 2**53: JavaScript implementations (Blockcerts' verifier, jsonld.js)
      read them as another number. Non-finite floats are not JSON.
    """
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DOCUMENT_DEPTH:
            raise CanonicalisationError("the document is nested too deeply")
        if isinstance(item, str):
            if _UNPORTABLE_CONTROL.search(item):
                raise CanonicalisationError("a string holds a control character")
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_SAFE_INTEGER:
                raise CanonicalisationError("a number is too large for every verifier to read")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise CanonicalisationError("a number is not finite")
        elif isinstance(item, Mapping):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


DocumentLoader = Callable[[str, Mapping[str, Any] | None], dict[str, Any]]


def canonicalize(
    document: Mapping[str, Any], *, document_loader: DocumentLoader | None = None
) -> str:
    """The canonical N-Quads of a JSON-LD document (URDNA2015 / RDFC-1.0), one quad a line.

    Raises `UnknownContextError` for a context that is not bundled and
    `CanonicalisationError` for anything else PyLD rejects, and for documents that would not
    canonicalise alike in every implementation (see `_check_portable`).

    `document_loader` replaces the bundled-only loader (e.g. a test serving a specification's
    example context); its contexts are cached apart from the bundled ones.
    """
    if not isinstance(document, Mapping):
        raise CanonicalisationError("a JSON-LD document must be a JSON object")
    _check_portable(document)
    loader = document_loader or load_document
    cache = _resolved_contexts() if document_loader is None else _BoundedCache()
    options = {
        "algorithm": ALGORITHM,
        "format": NQUADS,
        "documentLoader": loader,
        "contextResolver": ContextResolver(cache, loader),
    }
    result = _pyld(_processor(document_loader).normalize, dict(document), options)
    if not isinstance(result, str):
        raise CanonicalisationError("canonicalisation did not produce N-Quads")
    return result


def undefined_terms(document: Mapping[str, Any]) -> list[str]:
    """Terms of `document` that no context defines (sorted), found by JSON-LD expansion with
    `FALLBACK_VOCAB` appended: cheaper than canonicalising, same answer as `unmapped_terms`."""
    _check_portable(document)
    options = {
        "documentLoader": load_document,
        "contextResolver": ContextResolver(_resolved_contexts(), load_document),
    }
    expanded = _pyld(_processor(None).expand, with_fallback_vocab(document), options)
    text = json.dumps(expanded)
    found = set()
    start = text.find(FALLBACK_VOCAB)
    while start != -1:
        end = text.find('"', start)
        found.add(text[start + len(FALLBACK_VOCAB) : end])
        start = text.find(FALLBACK_VOCAB, end)
    return sorted(found)


def _pyld(operation: Callable[..., Any], document: dict[str, Any], options: dict[str, Any]) -> Any:
    """Run a PyLD operation, its failures as our errors: a context we do not bundle is
    `UnknownContextError`, anything else about the document `CanonicalisationError`."""
    try:
        return operation(document, options)
    except UnknownContextError:
        raise
    except (
        jsonld.JsonLdError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,  # PyLD trips over some malformed documents
        IndexError,
        RecursionError,
    ) as error:
        unknown = _unknown_context(error)
        if unknown is not None:
            raise UnknownContextError(unknown.url) from None
        raise CanonicalisationError(f"not valid JSON-LD: {_message(error)}") from None


def _message(error: BaseException) -> str:
    """The innermost reason PyLD gives (its outer errors only say which step failed)."""
    while error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, jsonld.JsonLdError):
        return str(error.code or error.args[0])
    return str(error) or type(error).__name__


def canonical_hash(document: Mapping[str, Any]) -> bytes:
    """SHA-256 of the UTF-8 canonical N-Quads."""
    return hashlib.sha256(canonicalize(document).encode("utf-8")).digest()


def with_fallback_vocab(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose `@context` ends with `{"@vocab": FALLBACK_VOCAB}`, as Blockcerts hashes it.

    Terms the contexts define come out exactly as without it; any other term comes out under
    `FALLBACK_VOCAB`, where `unmapped_terms` finds it.
    """
    copied = copy.deepcopy(dict(document))
    context = copied.get("@context")
    contexts = list(context) if isinstance(context, list) else [context] if context else []
    if not any(isinstance(item, Mapping) and "@vocab" in item for item in contexts):
        contexts.append(_FALLBACK_CONTEXT)  # one object: remembered once when processed
    copied["@context"] = contexts
    return copied


def unmapped_terms(nquads: str) -> list[str]:
    """Terms that only the fallback vocabulary mapped, sorted, from canonical N-Quads."""
    found: set[str] = set()
    prefix = f"<{FALLBACK_VOCAB}"
    for line in nquads.splitlines():
        start = line.find(prefix)
        while start != -1:
            end = line.find(">", start)
            found.add(line[start + len(prefix) : end])
            start = line.find(prefix, end)
    return sorted(found)
