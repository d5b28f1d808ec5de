"""Open Badges 3.0: credentials as W3C Verifiable Credentials (docs/openbadges3.md).

`documents` reads and writes the credentials, `schema` checks them against 1EdTech's JSON
schema, `keys` reads Multikey and JWK verification methods (did:key, did:web), `integrity`
signs and verifies `eddsa-rdfc-2022` Data Integrity proofs, `vcjwt` the VC-JWT form,
`status` reads and writes revocation lists, `baking` puts credentials in images and
`verify` checks one end to end. Like the rest of the library: no network, no framework.
"""
