"""The dyad-year skeleton: the build context (:mod:`.context`), COW state-system membership and
the dyad-year rows (:mod:`.panel`), and vectorized keyed lookups (:mod:`.keys`)."""
