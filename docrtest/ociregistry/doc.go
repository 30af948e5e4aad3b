// Package ociregistry is the container registry of docrtest's fake
// DigitalOcean Container Registry: an OCI distribution registry (the
// engine), the gate in front of it that checks a token on every request,
// the token endpoint that turns Docker credentials into tokens, as DOCR's
// /v2/registry/auth does, and the blob store under a byte cap.
//
// docrtest serves it under /v2/ next to the fake API; it can also be served
// on its own, open (with no [Accounts]) as a bare engine, or behind any
// [Accounts] that knows which credentials exist.
//
// # Names
//
// Every repository name is <namespace>/<repository>, as on DOCR, where the
// namespace is the registry's name and a credential opens one namespace.
// Names follow the distribution spec's grammar.
//
// # The token flow
//
// With [Options.Accounts] set, a request without a valid token gets 401
// with
//
//	WWW-Authenticate: Bearer realm="<realm>",service="<service>",scope="repository:<name>:pull,push"
//
// (no scope for GET /v2/; error="insufficient_scope" when a token lacked
// the action, error="invalid_token" when the token was expired, forged or
// its credential no longer holds). The realm, served by
// [Registry.ServeToken], takes the Docker credential as Basic auth and the
// scopes asked for (scope=repository:<name>:<actions>, repeated or space
// separated, and registry:catalog:*). It grants, of what was asked, what
// the credential allows: pull on its own namespace for any credential,
// push and delete for a read-write one, the catalog (its own namespace
// only). A credential that is unknown, expired or revoked, or that is
// granted nothing of what it asked for, gets 401 and a JSON error. The
// answer is
//
//	{"token": T, "access_token": T, "expires_in": <seconds>, "issued_at": <RFC 3339>}
//
// T is a JSON Web Token signed with HMAC-SHA256 under a key of the
// registry's own: it names the credential (by [Grant.Credential], never by
// its secret) and the access granted, and expires after
// [Options.TokenTTL]. Nothing is stored per token; each request checks the
// signature, the expiry, the access, and asks [Accounts.Current] whether
// the credential still holds, so a revoked credential or a deleted
// registry ends its tokens at once.
//
// With [Options.BasicAuth] the registry challenges with Basic instead and
// takes a Docker credential on every request, for tools that cannot follow
// the token flow; tokens are still accepted.
//
// # What is served
//
//   - GET and HEAD /v2/ (the version check);
//   - GET and HEAD of manifests (by tag or digest) and blobs (with a single
//     byte Range);
//   - pushes: monolithic (POST ?digest=), chunked (PATCH with
//     Content-Range, in order; a chunk out of order gets 416) and streamed
//     (PATCH without it) uploads, finished by PUT ?digest= (with or without
//     a last chunk), upload status (GET: 204 with Range) and cancellation
//     (DELETE: 204), cross-repository mounts within a namespace
//     (POST ?mount=&from=, or without from), falling back to an upload
//     where a mount cannot be done;
//   - manifests (OCI and Docker images and indexes, artifacts, a subject
//     answered with OCI-Subject), pushed by tag or by digest (sha256 or
//     sha512), refused with MANIFEST_BLOB_UNKNOWN while a blob, or a
//     manifest of an index, is missing from the repository;
//   - DELETE of manifests (by digest, taking their tags along; by tag, the
//     tag only) and of blobs (unlinked from the repository; a garbage
//     collection frees the bytes);
//   - tags/list and the catalog with n, last and a Link header;
//   - referrers, filtered by artifactType (OCI-Filters-Applied).
//
// Errors are the distribution spec's JSON ({"errors":[{code, message}]})
// with its codes.
//
// # Bounds
//
// Everything the registry holds counts against [Options.StorageCap]:
// stored blobs (once, however many repositories hold them), manifests,
// tags, and uploads in progress, byte by byte as they arrive. A push past
// the cap gets 413 DENIED, and its partial chunk is dropped. An upload
// belongs to the namespace and repository that started it: any other path
// gets 404 BLOB_UPLOAD_UNKNOWN. An upload idle for [Options.UploadTimeout]
// expires and gives back its bytes; a garbage collection of the namespace
// ends its uploads too. With [Options.StorageDir], blobs and uploads in
// progress live in files there. Refused requests are answered before any
// body is read.
package ociregistry
