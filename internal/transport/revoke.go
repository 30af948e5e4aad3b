package transport

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Revoke revokes secret at endpoint through hc (a [Settings.PlainClient]):
// a POST of the form token=<secret> with "Authorization: Bearer <secret>",
// not retried. A 200 answer gives nil, nil; any other answer a Failure
// without the secret; a failure to send an error without it.
func Revoke(ctx context.Context, hc *http.Client, endpoint *url.URL, secret string) (*Failure, error) {
	form := url.Values{"token": {secret}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), strings.NewReader(form))
	if err != nil {
		return nil, RedactError(fmt.Errorf("docr: revoke: %w", err), secret)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, RedactError(err, secret)
	}
	defer Discard(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return nil, nil
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, ErrorBodyRead))
	f := Describe(resp, data)
	f.scrub([]string{secret, url.QueryEscape(secret)})
	return f, nil
}
