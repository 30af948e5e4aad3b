package docrtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// FaultAction is a way for a [Fault] to break a response beyond its status
// code.
type FaultAction int

// The actions of a [Fault].
const (
	// NoAction leaves the response alone (a Fault may still set Status or
	// Latency).
	NoAction FaultAction = iota
	// Hangup runs the operation, then sends the status line, the headers
	// (claiming the full Content-Length) and half the body, and closes the
	// connection. The state change (an issued credential, say) happened,
	// but the client never sees its result.
	Hangup
	// Truncate runs the operation and sends the first half of its body as
	// a complete response (Content-Length matches), so the client gets
	// malformed JSON.
	Truncate
	// NotJSON does not run the operation; it answers with an HTML error
	// page, as a proxy in front of the API might: status Status (default
	// 502), Content-Type text/html.
	NotJSON
	// Redirect does not run the operation; it redirects (status Status,
	// default 307) to the same path and query on another host: RedirectTo,
	// or by default a second listener of the fake on 127.0.0.2 (a
	// different host for net/http, so a client must not forward
	// credentials there; the fake records what arrives and answers 401 to
	// a call without a token).
	Redirect
)

// Fault describes how the fake misbehaves for the next matching calls. See
// [Server.Inject].
type Fault struct {
	// Op is the operationId the fault applies to, spelled as upstream does
	// ("registries_get_dockerCredentials") or as oapi-codegen does
	// ("RegistriesGetDockerCredentials"), or OpOAuthRevoke, or
	// OpDockerRegistry. "" matches every call.
	Op string
	// Times is how many matching calls the fault affects: 0 means one,
	// a negative number means every call until [Server.ClearFaults].
	Times int
	// Status, without an Action, answers with this status (400-599) and
	// the API's error body {id, message, request_id} instead of running the
	// operation. For 429 the ratelimit-remaining header is 0.
	Status int
	// ResetIn sets the ratelimit-reset header of a Status answer to now
	// (the fake's clock) plus ResetIn, rounded up to a second.
	ResetIn time.Duration
	// RetryAfter adds a Retry-After header (whole seconds, rounded up) to
	// a Status answer. The real API documents none; use it to test clients
	// that honour one.
	RetryAfter time.Duration
	// Latency delays the answer (by the wall clock); it combines with any
	// of the above. A call whose client gives up meanwhile is dropped.
	Latency time.Duration
	// Action breaks the response in another way; see [FaultAction].
	Action FaultAction
	// RedirectTo is the base URL (scheme://host:port) a Redirect points
	// at.
	RedirectTo string
}

type pendingFault struct {
	Fault
	left int // negative: unlimited
}

// Inject adds a fault. Faults apply in the order they were injected; a call
// takes the first pending fault that matches its operation, and only that
// one. Calls to the API take a fault only once they pass authentication and
// validation, so a fault never hides a client's bug. It returns an error
// for an unknown operation or an inconsistent fault.
func (s *Server) Inject(f Fault) error {
	if f.Op != "" {
		op, ok := canonicalOp(f.Op)
		if !ok {
			return fmt.Errorf("docrtest: Inject: unknown operation %q", f.Op)
		}
		f.Op = op
	}
	if f.Latency < 0 || f.ResetIn < 0 || f.RetryAfter < 0 {
		return errors.New("docrtest: Inject: negative duration")
	}
	switch f.Action {
	case NoAction:
		if f.Status == 0 && f.Latency == 0 {
			return errors.New("docrtest: Inject: the fault does nothing (set Status, Latency or Action)")
		}
		if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
			return fmt.Errorf("docrtest: Inject: Status %d is not an error status", f.Status)
		}
	case Hangup, Truncate:
		if f.Status != 0 {
			return errors.New("docrtest: Inject: Hangup and Truncate keep the operation's own status; leave Status 0")
		}
	case NotJSON:
		if f.Status != 0 && (f.Status < 200 || f.Status > 599) {
			return fmt.Errorf("docrtest: Inject: invalid Status %d", f.Status)
		}
	case Redirect:
		if f.Status != 0 && (f.Status < 300 || f.Status > 399) {
			return fmt.Errorf("docrtest: Inject: Status %d is not a redirect", f.Status)
		}
		if f.RedirectTo == "" {
			if err := s.startAlt(); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("docrtest: Inject: unknown action %d", f.Action)
	}
	if f.Action != Redirect && f.RedirectTo != "" {
		return errors.New("docrtest: Inject: RedirectTo needs Action Redirect")
	}
	left := f.Times
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{Fault: f, left: left})
	return nil
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first pending fault matching op and uses it up.
func (s *Server) takeFault(op string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Op != "" && f.Op != op {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// startAlt starts the second host that redirect faults point at:
// 127.0.0.2 on a free port, or, where that address is unusable, the name
// "localhost" for the fake's own port (also a different host for net/http).
func (s *Server) startAlt() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.altURL != "" {
		return nil
	}
	if s.ts == nil {
		return errors.New("docrtest: Inject: a Redirect without RedirectTo needs a listening server")
	}
	if l, err := net.Listen("tcp", "127.0.0.2:0"); err == nil {
		alt := httptest.NewUnstartedServer(s)
		_ = alt.Listener.Close()
		alt.Listener = l
		alt.Start()
		s.alt, s.altURL = alt, alt.URL
		return nil
	}
	_, port, _ := net.SplitHostPort(s.ts.Listener.Addr().String())
	s.altURL = "http://localhost:" + port
	return nil
}

// serveWithFaults runs handle for a call of op, with the first pending
// fault for op applied.
func (s *Server) serveWithFaults(w http.ResponseWriter, r *http.Request, op string, handle func(c *capture, r *http.Request)) {
	f, ok := s.takeFault(op)
	if ok && f.Latency > 0 && !s.sleep(r.Context(), f.Latency) {
		return
	}
	if ok {
		switch {
		case f.Action == Redirect:
			s.redirect(w, r, f)
			return
		case f.Action == NotJSON:
			status := f.Status
			if status == 0 {
				status = http.StatusBadGateway
			}
			text := fmt.Sprintf("%d %s", status, http.StatusText(status))
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			_, _ = fmt.Fprintf(w, "<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n", text, text)
			return
		case f.Status != 0:
			s.faultStatus(w, r, f)
			return
		}
	}
	c := newCapture(w.Header())
	handle(c, r)
	switch {
	case ok && f.Action == Hangup:
		hangup(w, c)
	case ok && f.Action == Truncate:
		c.body.Truncate(c.body.Len() / 2)
		c.flushTo(w)
	default:
		c.flushTo(w)
	}
}

// sleep waits d, or less if the client goes away or the server closes. It
// reports whether the whole wait passed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request, f Fault) {
	base := f.RedirectTo
	if base == "" {
		s.mu.Lock()
		base = s.altURL
		s.mu.Unlock()
	}
	status := f.Status
	if status == 0 {
		status = http.StatusTemporaryRedirect
	}
	w.Header().Set("Location", strings.TrimSuffix(base, "/")+r.URL.RequestURI())
	w.WriteHeader(status)
}

// errorIDs are the error ids the fake uses for injected statuses.
var errorIDs = map[int][2]string{
	400: {"bad_request", "The request could not be understood."},
	401: {"unauthorized", "Unable to authenticate you."},
	403: {"forbidden", "You are not authorized to perform this operation."},
	404: {"not_found", "The resource you were accessing could not be found."},
	409: {"conflict", "The request could not be completed due to a conflict."},
	412: {"precondition_failed", "A precondition of the request failed."},
	422: {"unprocessable_entity", "The request could not be processed."},
	429: {"too_many_requests", "API Rate limit exceeded."},
	500: {"server_error", "Server was unable to give you a response."},
	502: {"bad_gateway", "The upstream server failed."},
	503: {"service_unavailable", "The service is temporarily unavailable."},
	504: {"gateway_timeout", "The upstream server timed out."},
}

func (s *Server) faultStatus(w http.ResponseWriter, r *http.Request, f Fault) {
	h := w.Header()
	if f.Status == http.StatusTooManyRequests {
		h.Set("Ratelimit-Remaining", "0")
	}
	if f.ResetIn > 0 {
		h.Set("Ratelimit-Reset", strconv.FormatInt(ceilUnix(s.now().Add(f.ResetIn)), 10))
	}
	if f.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	}
	e, ok := errorIDs[f.Status]
	if !ok {
		e = [2]string{"error", http.StatusText(f.Status)}
	}
	writeError(w, r, f.Status, e[0], e[1])
}

// hangup sends the start of a response and closes the connection.
func hangup(w http.ResponseWriter, c *capture) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 or a recorder: abort the response instead.
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %03d %s\r\n", status, http.StatusText(status))
	body := c.body.Bytes()
	if len(body) == 0 {
		// Nothing to cut short: stop inside the header block.
		_, _ = buf.WriteString("Content-Type: application/js")
		_ = buf.Flush()
		return
	}
	c.header.Set("Content-Length", strconv.Itoa(len(body)))
	_ = c.header.Write(buf)
	_, _ = buf.WriteString("\r\n")
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
}
