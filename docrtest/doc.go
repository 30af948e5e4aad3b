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
// The fake serves three things:
//
//   - the registry API: every operation of the spec under /v2/registry
//     (the deprecated single-registry view) and /v2/registries (the
//     multi-registry view), on one shared account state;
//   - POST /v1/oauth/revoke, which revokes issued Docker credentials;
//   - an OCI distribution registry under /v2/ (every other /v2/ path):
//     go-containerregistry's pkg/registry behind a gate that admits only
//     the Docker credentials the fake issued (HTTP basic auth). Any valid
//     credential of registry R may pull from R/<repository>; only a
//     read-write one may push or delete; no credential opens another
//     registry. What it holds is what the API lists. See "The registry".
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
// split at the first colon only. A credential opens the /v2/ endpoint while
// it is issued, unexpired by the fake's clock ([WithClock]), unrevoked, and
// its registry exists.
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
// raw query, headers (Authorization reduced to "<scheme> REDACTED"), the
// body of API calls, the operationId, the status and the request ID.
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
// Go spelling, or [OpOAuthRevoke] or [OpDockerRegistry]) or of every call
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
//     its own registry (403 DENIED for another's).
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
//   - The registry answers as the OCI distribution spec says (JSON
//     {"errors":[{code, message}]}, WWW-Authenticate: Basic
//     realm="<registry host>"), using basic auth where the real registry
//     uses token auth.
//
// # The registry
//
// Served: the version check (GET /v2/); pulls of manifests (by tag or
// digest) and blobs (with Range); monolithic, chunked and streamed blob
// uploads; cross-repository mounts within the registry (a mount from
// elsewhere falls back to an upload, as the spec allows); manifest pushes
// (image manifests and indexes, OCI and Docker media types; a manifest
// whose blobs the registry does not hold is refused with
// MANIFEST_BLOB_UNKNOWN); manifest deletion by tag or by digest (the
// digest takes its tags along); tags/list with n and last; the catalog
// (the credential's registry only, sorted, with n, last and a Link
// header); referrers. Not served: blob DELETE (405 UNSUPPORTED; garbage
// collection removes blobs), upload status and cancellation, and Bearer
// token authentication.
//
// Blobs are kept in memory under a cap ([DefaultStorageCap], see
// [WithStorageCap]), or in a directory ([WithStorageDir]). Uploads in
// progress count against the cap. A push past it is refused with 413 and
// the code DENIED, naming the cap. Manifests stay in memory.
package docrtest
