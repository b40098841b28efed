"""Outcomes: ATOP ties per dyad-year (:mod:`.ties`), onsets and risk sets (:mod:`.onsets`),
COW formal alliances (:mod:`.cow_alliance`) and the agreement table and great-power census
(:mod:`.census`)."""
