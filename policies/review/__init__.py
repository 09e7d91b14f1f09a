"""The reviewer's tools (`espace policy ...`): cases, check, coverage, denial (why a rule did
not allow), explain, matrix, mutate, sources and trace. They read the `.polar` files of
`policies/`; none decides anything: the engine does."""
