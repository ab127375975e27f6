"""serov-qa: the command line and the settings that tie the packages together."""
