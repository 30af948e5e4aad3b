package kubeletprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// The API group and kinds of the kubelet's credential provider protocol.
const (
	// Group is the API group of the protocol.
	Group = "credentialprovider.kubelet.k8s.io"
	// APIVersionV1 is the stable version (Kubernetes 1.26 and later).
	APIVersionV1 = Group + "/v1"
	// APIVersionV1beta1 is the beta version (Kubernetes 1.24 and 1.25);
	// its request and response have the same shape as v1's.
	APIVersionV1beta1 = Group + "/v1beta1"
	// KindRequest is the kind of what the kubelet writes to stdin.
	KindRequest = "CredentialProviderRequest"
	// KindResponse is the kind of what the plugin writes to stdout.
	KindResponse = "CredentialProviderResponse"
)

// Cache key types of a response: how the kubelet caches it.
const (
	// CacheKeyImage caches the response for the image only.
	CacheKeyImage = "Image"
	// CacheKeyRegistry caches the response for the image's registry host.
	CacheKeyRegistry = "Registry"
	// CacheKeyGlobal caches the response for every image of the plugin.
	CacheKeyGlobal = "Global"
)

// MaxRequestSize bounds what the plugin reads from stdin. A request is an
// image reference plus, in newer kubelets, a service account token and its
// annotations: far below this.
const MaxRequestSize = 64 << 10

// Request is a CredentialProviderRequest as the kubelet sends it. Fields the
// plugin does not use (serviceAccountToken, serviceAccountAnnotations) are
// ignored, never stored: the service account token is a secret.
type Request struct {
	// APIVersion is APIVersionV1 or APIVersionV1beta1.
	APIVersion string `json:"apiVersion"`
	// Kind is KindRequest.
	Kind string `json:"kind"`
	// Image is the image being pulled, such as
	// registry.digitalocean.com/example/web:1.0.
	Image string `json:"image"`
}

// Response is a CredentialProviderResponse.
type Response struct {
	// APIVersion is the request's.
	APIVersion string `json:"apiVersion"`
	// Kind is KindResponse.
	Kind string `json:"kind"`
	// CacheKeyType says how the kubelet caches the response.
	CacheKeyType string `json:"cacheKeyType"`
	// CacheDuration is a Go duration string ("50m0s"): how long the kubelet
	// may cache the response. Empty lets the kubelet use the
	// defaultCacheDuration of its configuration.
	CacheDuration string `json:"cacheDuration,omitempty"`
	// Auth maps an image-matching key (host, optionally with a path prefix)
	// to its credentials.
	Auth map[string]AuthConfig `json:"auth,omitempty"`
}

// AuthConfig is a user name and password for a registry.
type AuthConfig struct {
	// Username is the user name.
	Username string `json:"username"`
	// Password is the password.
	Password string `json:"password"`
}

// String describes a without its secrets.
func (a AuthConfig) String() string { return "{username:REDACTED password:REDACTED}" }

// GoString describes a without its secrets (for %#v).
func (a AuthConfig) GoString() string { return "kubeletprovider.AuthConfig{REDACTED}" }

// Format prints a as String (GoString for %#v) under every verb, so that no
// verb (%d, %x) reaches the fields.
func (a AuthConfig) Format(f fmt.State, verb rune) { formatSafe(f, verb, a.String(), a.GoString()) }

// LogValue implements slog.LogValuer without the secrets.
func (a AuthConfig) LogValue() slog.Value { return slog.StringValue(a.String()) }

// formatSafe writes s, or gs for %#v, whatever the verb.
func formatSafe(f fmt.State, verb rune, s, gs string) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, gs)
		return
	}
	io.WriteString(f, s)
}

// Errors of request decoding; each wraps ErrBadRequest.
var (
	// ErrBadRequest is any request the plugin cannot answer.
	ErrBadRequest = errors.New("bad request")
	// ErrUnsupportedVersion is an apiVersion or kind the plugin does not speak.
	ErrUnsupportedVersion = fmt.Errorf("%w: unsupported apiVersion or kind", ErrBadRequest)
	// ErrRequestTooLarge is a request over MaxRequestSize.
	ErrRequestTooLarge = fmt.Errorf("%w: request larger than %d bytes", ErrBadRequest, MaxRequestSize)
)

// ReadRequest reads one request from r: at most MaxRequestSize bytes, a
// single JSON object (white space around it allowed), apiVersion v1 or
// v1beta1, kind CredentialProviderRequest and a non-empty image. Unknown
// fields are allowed, as newer kubelets add some; none of them is kept.
// Errors wrap ErrBadRequest and never quote the input.
func ReadRequest(r io.Reader) (*Request, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRequestSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading stdin: %w", ErrBadRequest, err)
	}
	if len(data) > MaxRequestSize {
		return nil, ErrRequestTooLarge
	}
	return DecodeRequest(data)
}

// DecodeRequest decodes and checks a request; see ReadRequest.
func DecodeRequest(data []byte) (*Request, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty request on stdin", ErrBadRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("%w: not a JSON %s: %s", ErrBadRequest, KindRequest, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrBadRequest)
	}
	switch req.APIVersion {
	case APIVersionV1, APIVersionV1beta1:
	case "":
		return nil, fmt.Errorf("%w: apiVersion is missing", ErrUnsupportedVersion)
	default:
		// The value itself is not repeated: nothing a request carries is
		// echoed but the image.
		return nil, fmt.Errorf("%w: apiVersion is neither %s nor %s", ErrUnsupportedVersion, APIVersionV1, APIVersionV1beta1)
	}
	if req.Kind != KindRequest {
		return nil, fmt.Errorf("%w: kind is not %s", ErrUnsupportedVersion, KindRequest)
	}
	if req.Image == "" {
		return nil, fmt.Errorf("%w: image is missing", ErrBadRequest)
	}
	return &req, nil
}

// jsonProblem describes a decoding error without quoting the input: the
// standard library's messages name types and offsets, and a field name for
// type errors; a syntax error's message is its own.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %s is not a %s", te.Field, te.Type)
		}
		return fmt.Sprintf("a JSON %s where an object was expected", te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	default:
		return "invalid JSON"
	}
}

// quoteShort quotes s for a message, cut to 64 bytes, with everything but
// printable ASCII escaped, so that a look-alike shows as one.
func quoteShort(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return fmt.Sprintf("%+q", s)
}

// WriteResponse writes resp to w as one line of JSON.
func WriteResponse(w io.Writer, resp *Response) error {
	data, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	data = append(data, '\n')
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("writing the response: %w", err)
	}
	return nil
}

// trimLine makes s one line.
func trimLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
