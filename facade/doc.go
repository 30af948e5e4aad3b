// Package facade is the handwritten layer over the generated DigitalOcean
// Container Registry client (package gen). Most programs import only this
// package.
//
// # Getting credentials
//
//	c, err := facade.NewFromEnv() // $DOCR_TOKEN_FILE, $DIGITALOCEAN_TOKEN, $DIGITALOCEAN_ACCESS_TOKEN
//	if err != nil { ... }
//	creds, err := c.DockerCredentials(ctx, facade.CredentialsRequest{
//		Registry:  "example", // empty: the account's registry (/v2/registry)
//		ReadWrite: true,      // default read-only
//		Expiry:    time.Hour, // default 30 days; or NeverExpire: true
//	})
//	if err != nil { ... }
//	cred, _ := creds.For(facade.DefaultRegistryHost) // cred.Username, cred.Secret
//
// To store them in Docker's config.json, merged with what is there and
// through credsStore or credHelpers when those are set, hand them to
// dockerconfig.StoreCredentials; for a Kubernetes Secret, to kubesecret.New.
//
// [Credential], [Credentials], [DockerConfig] and [RawConfig] print
// redacted with fmt and slog; only explicit field access reveals a secret.
//
// # Credentials that renew themselves
//
// A [Source] mints on demand, reuses the credential until a window before
// it expires, and is safe for concurrent use; a [Cache] keeps it between
// processes. It is a go-containerregistry authn.Helper:
//
//	src, err := facade.NewSource(c, facade.SourceOptions{
//		Request: facade.CredentialsRequest{Registry: "example", Expiry: time.Hour},
//	})
//	kc := authn.NewKeychainFromHelper(src) // for remote.WithAuthFromKeychain
//
// docr's Docker credential helper, its kubelet credential provider and its
// Kubernetes controller are built on it.
//
// # Shared facts
//
// The registry host ([DefaultRegistryHost]), the environment every docr
// program reads ([EnvToken], [EnvTokenFile], [EnvAPIURL] and the others),
// the token-file rule ([ReadTokenFile]) and the endpoint rule
// ([CheckEndpoint]) are defined here once.
//
// # Everything else
//
// [Client.API] returns the full generated client (every operation of the
// registry API). Wrap its calls in [Check] to turn any non-2xx answer into an
// [*APIError]:
//
//	resp, err := facade.Check(c.API().RegistriesGetWithResponse(ctx, "example"))
//
// Listings are iterators that fetch page by page:
//
//	for tag, err := range c.Tags(ctx, "example", "web") { ... }
//
// # Transport
//
// The API token goes only to the configured API origin (scheme, host and
// port), never to another host and never again in a redirect chain that
// has left it. Idempotent requests are retried on 429 and 5xx answers and
// on transport errors, with exponential backoff, Retry-After and
// ratelimit-reset honoured, and bodies drained so connections are reused
// ([RetryPolicy]). Errors never contain the token, a credential or a query
// string: transport errors are *url.Error values with the query removed,
// and errors.Is / errors.As still reach their causes.
//
// [Client.RevokeCredential] revokes a credential (docr logout).
package facade
