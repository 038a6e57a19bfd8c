"""History: every run a person made, across the tools, for one page to list, filter, mark and compare.

Light on purpose (no torch, no TensorFlow): the History page imports it on every rerun.

- ``index``: the runs folder as a list of entries, read once and then only what changed
  (a rerun stats the cards; it re-reads none that did not change), filtered and searched;
- ``marks``: a run's star and the collections it is in (``runs/<id>/marks.json``: they go with the run);
- ``thumbnails``: one small picture per run, made when the job ends (or the first time History
  lists an older run): its result, a video's poster frame, ASCII Art's rendered frame;
- ``comparison``: two runs side by side: the difference map, the settings that differ, metric deltas;
- ``export``: runs and collections as zips, each run with the settings that made it.
"""
