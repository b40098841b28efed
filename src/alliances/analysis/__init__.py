"""Analyses on a built panel: predictions and scenarios (:mod:`.predict`), out-of-sample
validation (:mod:`.validate`, :mod:`.metrics`), figures and the report (:mod:`.figures`,
:mod:`.report`, :mod:`.behaviour`), and the runners (:mod:`.replicate`, :mod:`.multiverse`)."""
