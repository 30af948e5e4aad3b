// Package facade is the handwritten layer over the generated DigitalOcean
// Container Registry client (package gen); most programs import only this
// package.
//
// Mint Docker credentials (read-only and expiring by default):
//
//	c, err := facade.NewFromEnv() // $DOCR_TOKEN_FILE, $DIGITALOCEAN_TOKEN, $DIGITALOCEAN_ACCESS_TOKEN
//	creds, err := c.DockerCredentials(ctx, facade.CredentialsRequest{
//		Registry:  "example", // empty: the account's registry
//		ReadWrite: true,
//		Expiry:    time.Hour, // default 30 days; or NeverExpire: true
//	})
//	cred, _ := creds.For(facade.DefaultRegistryHost) // cred.Username, cred.Secret
//
// dockerconfig.StoreCredentials merges them into Docker's config.json;
// kubesecret.New makes a Kubernetes Secret of them. [Credential],
// [Credentials], [DockerConfig] and [RawConfig] print redacted with fmt
// and slog.
//
// A [Source] mints on demand and renews before expiry, for any number of
// concurrent callers; a [Cache] keeps its credential between processes. It
// is a go-containerregistry authn.Helper:
//
//	src, err := facade.NewSource(c, facade.SourceOptions{Request: facade.CredentialsRequest{Registry: "example"}})
//	kc := authn.NewKeychainFromHelper(src)
//
// docr's credential helper, kubelet provider and controller are built on it.
//
// [Client.API] is the whole generated client; [Check] turns a non-2xx
// answer of it into an [*APIError], and listings are iterators:
//
//	resp, err := facade.Check(c.API().RegistriesGetWithResponse(ctx, "example"))
//	for tag, err := range c.Tags(ctx, "example", "web") { ... }
//
// The API token goes only to the API's origin, never to another host nor
// back after a redirect has left it. Idempotent requests are retried as
// [RetryPolicy] says. Errors never hold the token, a credential or a query
// string. The registry host, the environment every docr program reads, the
// token-file rule and the endpoint rule are defined here once
// ([DefaultRegistryHost], [EnvToken], [ReadTokenFile], [CheckEndpoint]).
package facade
