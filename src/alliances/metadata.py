"""Build metadata carried on frames read from or built into a panel."""

from __future__ import annotations


class SharedMetadata(dict):
    """Build metadata kept in ``DataFrame.attrs``: shared, not deep-copied, by derived frames.

    pandas deep-copies ``attrs`` into every frame or column derived from a frame; the build
    metadata (every input's provenance) is large, so copying it would dominate operations that
    derive many small frames. Treat it as read-only: frames derived from one panel share this
    one dict.
    """

    def __deepcopy__(self, memo: dict) -> "SharedMetadata":
        return self
