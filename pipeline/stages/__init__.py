"""The build layer: the stages from a page to the published files (pandas, pandera, pyarrow), run by ``stages.build``."""
