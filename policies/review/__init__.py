"""The reviewer's tools (`espace policy ...`): cases, check, coverage, explain, matrix,
mutate, sources and trace. They read the `.polar` files of `policies/`; none decides anything."""
