package transport

import (
	"context"
	"errors"
	"io"
)

// ErrResponseTooLarge is returned when a response body exceeds its limit;
// facade exports it under the same name.
var ErrResponseTooLarge = errors.New("docr: response body too large")

const (
	// ErrorBodyRead is how much of an error response docr reads; the rest
	// is drained (up to drainLimit) and discarded.
	ErrorBodyRead = 64 << 10
	// MaxErrorBody is how much of an error body a Failure keeps.
	MaxErrorBody = 4 << 10
	// drainLimit bounds how much of an unwanted body is read so that the
	// connection can be reused; longer bodies cost a new connection instead.
	drainLimit = 256 << 10
)

// Discard drains (bounded) and closes a body so that the connection can be
// reused.
func Discard(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	_ = body.Close()
}

// ReadAtMost reads all of r, at most limit bytes (else
// ErrResponseTooLarge), and closes it.
func ReadAtMost(r io.ReadCloser, limit int64) ([]byte, error) {
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, ErrResponseTooLarge
	}
	return data, nil
}

// responseBody is the body of every response docr hands out; it remembers
// the attempts and secrets (for Describe) and bounds how much can be read.
type responseBody struct {
	r         io.Reader
	c         io.Closer
	remaining int64              // bytes still allowed; -1 for no limit
	cancel    context.CancelFunc // ends the attempt's deadline; may be nil
	attempts  int
	secrets   []string
}

func (b *responseBody) Read(p []byte) (int, error) {
	n, err := b.read(p)
	if err == io.EOF {
		// The whole body is read (and net/http has put the connection back
		// in its pool): the attempt's deadline is no longer needed.
		b.release()
	}
	return n, err
}

func (b *responseBody) read(p []byte) (int, error) {
	if b.remaining < 0 {
		return b.r.Read(p)
	}
	if b.remaining == 0 {
		// Allowed bytes used up: fine if the body ends here.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.r.Read(p)
	b.remaining -= int64(n)
	return n, err
}

// release ends the attempt's deadline; like any CancelFunc it may be
// called more than once, and concurrently (Close during a Read).
func (b *responseBody) release() {
	if b.cancel != nil {
		b.cancel()
	}
}

func (b *responseBody) Close() error {
	defer b.release()
	if b.c != nil {
		return b.c.Close()
	}
	return nil
}
