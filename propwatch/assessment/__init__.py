"""Article risk: the assessment stage and its weights (data/assessment.toml)."""
