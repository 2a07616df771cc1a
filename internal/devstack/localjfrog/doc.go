// Package localjfrog is the local stack's JFrog Platform: JFrog Access (OIDC
// providers, identity mappings, the OIDC token exchange, access tokens and
// their revocation) and Artifactory (local generic and Machine Learning
// repositories, deploy and download with checksums, deploy by checksum, the
// storage API, item properties, and the Machine Learning repository API that
// frogml uses) served on one base URL, like a real JFrog Platform.
//
// Access tokens are RS256 JWTs signed by a key the server keeps in its data
// folder. Artifacts live in a content-addressed blob store (one file per
// SHA-256) written through temporary files, fsync and rename, and metadata is
// rewritten atomically after every change, so a crash leaves either the old or
// the new state and never a torn blob or metadata file.
//
// Deliberate simplifications: only local repositories exist; any valid token
// may read and write every repository, while the administration APIs
// (OIDC configuration, repository creation, other users' tokens, revoke by
// value) need an admin-scoped token; identity mappings must name a user
// (username, or username_pattern with {{claim}} placeholders), group-only
// mappings and pattern transforms are not supported; tokens are never
// refreshable; metadata is one JSON document per service, rewritten on every
// change, which suits the thousands of items of a local stack.
package localjfrog
