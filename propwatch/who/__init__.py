"""Who said what, on whose authority: the rule logic behind the ``entities``,
``quotes`` and ``sourcing`` stages.

- :mod:`.nlp` loads one spaCy pipeline per process and caches parses;
- :mod:`.aliases` reads the alias table (``data/aliases.toml``) and makes
  deterministic entity ids (``per:sergey-lavrov``, ``org:islamic-state``);
- :mod:`.entities` finds mentions and resolves them to canonical entities;
- :mod:`.quotes` finds direct and indirect quotes and their speakers;
- :mod:`.sourcing` flags anonymous sources, self-citation and evidence claims.

Everything here works on plain text plus a spaCy ``Doc``; the stages in
:mod:`propwatch.stages` turn the results into records.
"""
