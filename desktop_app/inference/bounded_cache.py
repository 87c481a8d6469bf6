"""A thread-safe least-recently-used cache bounded by the bytes of what it holds.

Explanations keep per-window activations (400 KB each) and activation reports (a few MB each):
a count bound alone would let an hour-long mix fill the memory, a byte bound alone would let
thousands of tiny entries pile up, so both apply.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """``get``/``put`` by key; the oldest entries go once over ``max_entries`` or ``max_bytes``."""

    def __init__(self, size_of: Callable[[V], int], *, max_bytes: int, max_entries: int = 10_000) -> None:
        self._size_of = size_of
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V) -> None:
        size = self._size_of(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            # The newest entry always stays, even when it alone is over the bound.
            while len(self._items) > 1 and (len(self._items) > self._max_entries or self._bytes > self._max_bytes):
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes
