// Package docrtest is a fake of the DigitalOcean Container Registry API: a
// stateful, spec-validated, in-process HTTP server that any client (docr,
// godo, doctl, curl, other languages) can be pointed at.
//
// # Starting a fake
//
// In a Go test:
//
//	srv := docrtest.NewServer(t)              // listens on 127.0.0.1, closed by t.Cleanup
//	c, _ := gen.NewClientWithResponses(srv.URL, gen.WithRequestEditorFn(
//		func(_ context.Context, r *http.Request) error {
//			r.Header.Set("Authorization", "Bearer "+srv.Token)
//			return nil
//		}))
//
// For a standalone process (such as "docr fake-api"), [Serve] runs a fake
// until its context ends and prints DIGITALOCEAN_API_URL, DIGITALOCEAN_TOKEN
// and DOCR_REGISTRY_HOST; [Start] and [Server.Close] do the same without
// blocking; [New] makes a fake that does not listen, whose
// [Server.Handler] you serve yourself.
//
// The fake serves four things:
//
//   - the registry API: every operation of the spec under /v2/registry
//     (the deprecated single-registry view) and /v2/registries (the
//     multi-registry view), on one shared account state;
//   - POST /v1/oauth/revoke, which revokes issued Docker credentials;
//   - an OCI distribution registry under /v2/ (every other /v2/ path),
//     package [github.com/docr-dev/docr/docrtest/ociregistry], which
//     answers as DOCR's registry does, through the registry token flow;
//   - its token endpoint, GET /v2/registry/auth ([TokenPath]), which turns
//     a Docker credential the fake issued into a token. Any valid
//     credential of registry R may pull from R/<repository>; only a
//     read-write one may push or delete; no credential opens another
//     registry. What the registry holds is what the API lists. See "The
//     registry".
//
// # The API
//
// The operations are implemented on the generated strict server interface
// (StrictServerInterface of the internal package docrtest/internal/server,
// generated from the same spec and reusing gen's models), so a change of the
// spec breaks the fake at compile time. Every call needs "Authorization: Bearer <token>":
// [Server.Token] (full access), or a token added with [WithScopedToken].
// A missing or wrong token gets 401 {"id":"unauthorized","message":"Unable
// to authenticate you."}. Every response of the fake carries
// ratelimit-limit, ratelimit-remaining, ratelimit-reset (Unix seconds)
// (unless [WithRateLimit] turns the limit off) and x-request-id; error bodies are {id, message, request_id}, request_id
// being the x-request-id.
//
// Docker credentials honour read_write and expiry_seconds (absent or 0:
// never expires). Each call mints a fresh credential, recorded with its
// registry, access, expiry, issue time, revocation and secrets; see
// [Server.Credentials]. The auths key is [DefaultRegistryHost] unless
// [WithRegistryHost] or [WithSelfRegistryHost] (the fake's own host:port,
// so that a real Docker client given the config logs in to the fake) says
// otherwise. The value is {"auth": base64("<username>:<password>")};
// [WithColonInPassword] puts a ':' in every password to test that clients
// split at the first colon only. A credential gets tokens from the token
// endpoint, and its tokens open the registry, while it is issued, unexpired
// by the fake's clock ([WithClock]), unrevoked, and the registry it was
// issued for exists: not one deleted and created again under its name.
//
// # Validation
//
// Every request and every response of the API is validated against the
// overlaid spec (embeddedspec.GetSpec) with kin-openapi's openapi3filter,
// with schema error details disabled so that values, credentials above
// all, never reach a message. A request that breaks the spec is answered
// 400 {"id":"bad_request","message":<the rule>}; a response of the fake that
// breaks it is replaced by 500 {"id":"server_error"}. Either is a
// [Violation]: [NewServer] fails the test with t.Errorf naming the
// operation and the rule ([AllowInvalidRequests] turns request violations
// into t.Logf, to test a client against the API's 400 answers); [New] and
// [Start] log it ([WithLogger]); [WithViolationHandler] takes over in every
// mode; [Server.Violations] lists them all. A call to an unknown path under
// /v2/registry or /v2/registries is a request violation too (404, or 405
// for a known path with another method).
//
// [Server.Requests] records every request: method, host, path as sent,
// raw query (values named like secrets redacted), headers (Authorization
// and Proxy-Authorization reduced to "<scheme> REDACTED" or "REDACTED",
// cookies and other credential headers redacted, values cut at 1 KiB, 64
// fields at most), the body of API calls that authenticated (64 KiB at
// most), the operationId, the status and the request ID. The log is
// bounded by a count ([WithRequestLog]) and by bytes
// ([WithRequestLogBytes]). A refused call's body is never read.
//
// Operations are named by their upstream operationId, as the DigitalOcean
// spec spells it ("registries_get_dockerCredentials"); see [Operations].
//
// # Seed data
//
// A fake starts from [DefaultSeed] unless [WithSeed] gives another [Seed]:
// a "basic" subscription (created 2020-01-23T21:19:12Z) and one registry,
// "example" in fra1 (created 2020-03-21T16:02:37Z), holding
//
//   - repo-1: one manifest tagged "latest" and "v2", one tagged "v1", one
//     untagged;
//   - repo-2: one manifest tagged "1.0.0";
//   - team/api (send it as team%2Fapi): one manifest tagged "latest";
//
// each manifest a real image pushed into the registry at start: an OCI
// manifest, a config and one uncompressed tar layer, generated from the
// names (so digests and sizes are stable, and a client can pull them), and
// one succeeded garbage collection
// (eff0feee-49c7-4e8f-ba5c-a320c109c8a8, 42 blobs, 667 bytes deleted). The
// name "taken" belongs to another account. With three repositories the
// account cannot move to "starter" (OverRepositoryLimit).
//
// The fake is deterministic when seeded: [WithRandSeed] seeds the
// math/rand/v2 source of the API token, credentials, UUIDs and request IDs,
// and [WithClock] injects the clock (timestamps, expiry, rate-limit
// windows, garbage collection progress).
//
// # Fault injection
//
// [Server.Inject] adds a [Fault] for the next Times calls (0: one call;
// negative: until [Server.ClearFaults]) of one operation (Op, upstream or
// Go spelling, or [OpOAuthRevoke], [OpRegistryAuth] or [OpDockerRegistry])
// or of every call
// (Op ""). API calls take a fault only after authentication and request
// validation; a call takes the first matching fault, in injection order.
// A fault can
//
//   - answer an error status instead of running the operation (Status:
//     429 with ratelimit-remaining 0 and ResetIn for ratelimit-reset, 500,
//     503, ...; RetryAfter adds a Retry-After header);
//   - delay the answer (Latency; combines with the rest);
//   - run the operation and then close the connection mid-response
//     ([Hangup]) or send half its body ([Truncate]);
//   - answer an HTML error page ([NotJSON]);
//   - redirect to another host ([Redirect]): a second listener on
//     127.0.0.2 (or RedirectTo), to check that clients do not forward
//     credentials across hosts.
//
// For example:
//
//	srv.Inject(docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 429, ResetIn: time.Minute})
//	srv.Inject(docrtest.Fault{Status: 503, Times: 2})
//	srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Action: docrtest.Hangup})
//
// The rate limit itself is real: 5000 authenticated API calls per hour
// by default ([WithRateLimit]), then 429 until the window ends.
//
// # Guessed behaviours
//
// The spec leaves much unsaid. Where the fake had to guess how the real
// API behaves, it does the following; each is a candidate for correction
// once observed against the real service.
//
//   - Docker credentials: username and password are the same fresh token,
//     "dop_v1_" and 64 hex digits (the spec's example shows equal halves;
//     docker login has used the API token for both). Registries of a
//     multi-registry account share the auths host; a credential opens only
//     its own registry (the token endpoint refuses another's scopes).
//   - Negative expiry_seconds: 400 bad_request (the spec says minimum 0;
//     the message is the validator's, the real wording is unknown).
//   - Revocation: the bearer must be the API token or an issued, unexpired,
//     unrevoked password, else 401 unauthorized; a missing form token is
//     400; otherwise 200 with an empty body, also for an unknown or already
//     revoked token (RFC 7009). GET gets 405.
//   - Scopes: read-only docker credentials need registry:read only;
//     read_write=true needs registry:update as well; a missing scope is 403
//     {"id":"forbidden"}. Other operations need the scopes their spec
//     security requirement lists.
//   - Single-registry operations that name no registry (registry_get,
//     registry_delete, registry_get_dockerCredentials) answer 412
//     precondition_failed when the account has several registries and 404
//     when it has none; registry_create answers 409 when it has one.
//   - Conflicts are 409 {"id":"conflict"}: a registry name in use or taken
//     (create and validate-name), a second running garbage collection,
//     cancelling one that is not running.
//   - A missing registry, repository, tag, manifest or garbage collection
//     is 404 {"id":"not_found"}; so is GET garbage-collection when none is
//     running.
//   - Garbage collection: the default type is "unreferenced blobs only";
//     it starts "requested" and, with [WithGCDuration], succeeds that long
//     after it started (otherwise it runs until cancelled). Success deletes
//     untagged manifests and/or unreferenced blobs as its type says and
//     reports blobs_deleted and freed_bytes. Cancelling sets "cancelled" at
//     once.
//   - Deleting a tag leaves its manifest, untagged; deleting the last
//     manifest of a repository removes the repository. Deletions through
//     the API delete in the registry too, and the other way round.
//     storage_usage_bytes counts every distinct blob the registry holds,
//     unreferenced ones (pushed but never referenced, or orphaned by a
//     deletion) until a garbage collection deletes them; the garbage
//     collection removes them from storage and reports them.
//   - Subscription: tier numbers are DigitalOcean's published ones; a tier
//     is ineligible when the account has more repositories than it
//     includes (OverRepositoryLimit) or, without storage overage, more
//     storage (OverStorageLimit); switching to it is 412 with the message
//     "registry is not eligible for tier because: [<reasons>]". An update
//     without tier_slug is 400. subscription_tier_slug on registry creation
//     switches the account's tier. New registries default to fra1.
//   - Listings: page 1 and per_page 20 by default. Page-number listings
//     link first and prev after the first page and next and last before
//     the last, on the fake's own URL; a single page has "links": {}.
//     Garbage collection listings have neither meta nor links (the spec
//     declares none). The V2 repository listing pages by an opaque
//     page_token given in its next link (with page and per_page), and a
//     last link by page number; a token decides the position over page;
//     page without a token means an offset of (page-1)*per_page; a
//     malformed token is 400. Registries and repositories are sorted by
//     name, tags and manifests newest first, garbage collections newest
//     first.
//   - Rate limit: a fixed window counting authenticated API calls;
//     ratelimit-reset is the window's end.
//   - Timestamps are UTC at whole seconds.
//   - The registry's token endpoint grants, of the scopes asked for, what
//     the credential allows, and refuses (401, the API's JSON error) a
//     request granted nothing: another registry's scope, or a read-only
//     credential asking for push or delete alone. A read-only credential
//     asking for pull,push gets pull, and its push then meets 401
//     insufficient_scope at the registry. Tokens last five minutes
//     ([WithTokenTTL]; DOCR's lifetime is not documented) and end at once
//     with their credential's revocation or their registry's deletion.
//     Another service name than the registry host is 400.
//   - Registry errors are the distribution spec's JSON
//     {"errors":[{code, message}]}; a push past the storage cap is 413
//     DENIED.
//   - A garbage collection ends the uploads in progress of its registry
//     (DOCR puts a registry into read-only mode while it collects).
//   - A header block larger than 64 KiB ([MaxHeaderBytes]) is refused with
//     431 before the fake sees it.
//
// # The registry
//
// Package ociregistry serves it; see its documentation for the whole
// list. In short, all of the OCI distribution spec: the version check;
// pulls of manifests (by tag or digest) and blobs (with Range); monolithic,
// chunked and streamed uploads, their status and their cancellation;
// cross-repository mounts within the registry (a mount from elsewhere
// falls back to an upload, as the spec allows); manifest pushes (image
// manifests and indexes, OCI and Docker media types, artifacts and
// subjects, by tag or by sha256 or sha512 digest; a manifest whose blobs
// the repository does not hold is refused with MANIFEST_BLOB_UNKNOWN);
// manifest deletion by tag or by digest (the digest takes its tags along);
// blob deletion (unlinked from the repository; a garbage collection frees
// the bytes); tags/list and the catalog (the credential's registry only)
// with n, last and a Link header; referrers.
//
// A request without a token gets 401 with WWW-Authenticate: Bearer
// realm="<fake URL>/v2/registry/auth",service="<registry host>" and the
// scope it needs; the token endpoint takes the Docker credential as basic
// auth; the registry checks the token's scope on every request (missing
// access gets 401 with error="insufficient_scope"). [WithRegistryBasicAuth]
// keeps basic auth on the registry instead, for tools that cannot follow
// the token flow.
//
// Blobs are kept in memory under a cap ([DefaultStorageCap], see
// [WithStorageCap]), or in a directory ([WithStorageDir]). The cap counts
// everything the registry holds: blobs, manifests, tags and uploads in
// progress. A push past it is refused with 413 and the code DENIED, naming
// the cap. An upload belongs to the registry and repository that started
// it, expires after an hour idle ([WithUploadTimeout], by the fake's
// clock), and is a file under the storage directory when there is one.
package docrtest
