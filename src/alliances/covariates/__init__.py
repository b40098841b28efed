"""Explanatory columns, one module per source: power (COW NMC, majors), geography (contiguity,
capitals, CShapes distance), threat (rivalries, MIDs), regime (V-Dem, Polity), similarity
(ATOP alliance-portfolio similarity), exercises (MME joint exercises) and user events."""
