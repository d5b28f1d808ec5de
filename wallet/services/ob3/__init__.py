"""Open Badges 3.0 for the awards we issue (docs/openbadges3.md): the issuers' keys and
3.0 profiles (`keys`), signing and storing each award's credential (`issuing`), the
status lists revocation flips (`status`) and the downloads (`downloads`)."""
