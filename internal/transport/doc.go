// Package transport is the HTTP plumbing under docr's generated client
// (package gen): what facade.Client configures gen with through
// gen.WithHTTPClient, and what it revokes credentials through.
//
//   - [Settings] holds what the facade's options say about HTTP; its
//     setters check them ([CheckEndpoint] is the one endpoint rule);
//   - [Doer] retries (backoff, Retry-After and ratelimit-reset waits,
//     replayable bodies), bounds each attempt with a deadline, bounds and
//     drains response bodies, records rate limits and redacts errors;
//   - the API client [Settings.NewDoer] sends through adds the API token
//     only for the API origin, never on a redirect chain that has left it,
//     and sets the User-Agent;
//   - [Describe] and [Inspect] read an answer outside 2xx into a [Failure],
//     which the facade turns into its APIError, with every secret scrubbed;
//   - [Revoke] sends a token revocation request.
//
// It sits below package facade and imports nothing of docr but gen.
package transport
