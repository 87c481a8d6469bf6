"""Rows of a long, ordered id list, read from the library a page at a time when a view asks.

What the track table and the playlist view share: the id list is resolved on a worker and packed
in an ``array`` (8 bytes per row), and a row is read only when the view paints it, with its page
of neighbours (a primary-key query of about a millisecond), into a small LRU of pages. A
100,000-row list costs under a megabyte until someone scrolls through it, and then no more than
``max_pages`` pages.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Generic, TypeVar

PAGE_SIZE = 256
MAX_CACHED_PAGES = 32

Row = TypeVar("Row")


class PagedRows(Generic[Row]):
    """``ids`` in order and their rows on demand; ``fetch(ids)`` reads one page, by id."""

    def __init__(
        self,
        fetch: Callable[[Sequence[int]], Mapping[int, Row]],
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_CACHED_PAGES,
    ) -> None:
        self._fetch = fetch
        self._page_size = page_size
        self._max_pages = max_pages
        self._pages: OrderedDict[int, list[Row | None]] = OrderedDict()
        self.ids: array[int] = array("q")

    def __len__(self) -> int:
        return len(self.ids)

    def reset(self, ids: array[int]) -> None:
        """Show ``ids`` from now on; every cached row is read again when next asked for."""
        self.ids = ids
        self._pages.clear()

    def install(self, ids: array[int], pages: Mapping[int, list[Row | None]]) -> None:
        """Show ``ids`` with these pages already read (`reread`); every other page is read when asked for."""
        self.ids = ids
        self._pages = OrderedDict(sorted(pages.items()))

    def recent_pages(self, count: int) -> list[tuple[int, list[Row | None]]]:
        """The ``count`` pages used last (those of the rows on screen): (page number, rows)."""
        return list(self._pages.items())[-count:]

    def reread(
        self,
        ids: array[int],
        pages: Sequence[tuple[int, list[Row | None]]],
        fetch: Callable[[Sequence[int]], Mapping[int, Row]],
    ) -> tuple[dict[int, list[Row | None]], list[tuple[int, int]]]:
        """Read ``pages`` (`recent_pages`) again from ``ids``, which keep the current ids as their
        start, with ``fetch`` (for a worker: its own connection). Returns the new pages by number
        and the (first, last) rows of each page whose rows differ, new rows past the old end aside.

        Only reads its arguments and the page size: safe on a worker while the GUI uses this.
        """
        read: dict[int, list[Row | None]] = {}
        changed: list[tuple[int, int]] = []
        for number, old in pages:
            start = number * self._page_size
            page_ids = ids[start : start + self._page_size]
            by_id = fetch(page_ids)
            page = [by_id.get(track_id) for track_id in page_ids]
            read[number] = page
            differ = [i for i, (before, now) in enumerate(zip(old, page)) if before != now]
            if differ:
                changed.append((start + differ[0], start + differ[-1]))
        return read, changed

    def forget(self) -> None:
        """Keep the ids, read the rows again (their data changed)."""
        self._pages.clear()

    def track_id(self, row: int) -> int | None:
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def track_ids(self, rows: Sequence[int]) -> list[int]:
        """The ids at ``rows`` (rows past the end left out)."""
        ids = self.ids
        return [ids[r] for r in rows if 0 <= r < len(ids)]

    def row_of(self, track_id: int) -> int | None:
        """The first row of ``track_id`` (a linear scan of packed ints: a few ms at 100,000)."""
        try:
            return self.ids.index(track_id)
        except ValueError:
            return None

    def row(self, row: int) -> Row | None:
        """The row at ``row`` (None past the end, or for an id that vanished meanwhile)."""
        if not 0 <= row < len(self.ids):
            return None
        number = row // self._page_size
        page = self._pages.get(number)
        if page is None:
            ids = self.ids[number * self._page_size : (number + 1) * self._page_size]
            by_id = self._fetch(ids)
            page = [by_id.get(track_id) for track_id in ids]
            self._pages[number] = page
            while len(self._pages) > self._max_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page[row - number * self._page_size]

    def cached_row_count(self) -> int:
        """How many rows are held in Python right now (bounded by the cache, not the list)."""
        return sum(len(page) for page in self._pages.values())
