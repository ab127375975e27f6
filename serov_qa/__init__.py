"""serov-qa: the command line over the packages (settings and policy live in config/, the ground floor)."""
