package ociregistry

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// quota counts the bytes the registry holds against its cap.
type quota struct {
	mu    sync.Mutex
	limit int64 // 0: no cap
	n     int64
}

// take accounts k more bytes, failing with ErrStorageFull past the cap.
func (q *quota) take(k int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.limit > 0 && q.n+k > q.limit {
		return fmt.Errorf("%w: %d bytes held, the cap is %d", ErrStorageFull, q.n, q.limit)
	}
	q.n += k
	return nil
}

// give releases k bytes.
func (q *quota) give(k int64) {
	q.mu.Lock()
	q.n -= k
	q.mu.Unlock()
}

func (q *quota) used() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Digest algorithms the registry takes, with the length of their hex.
var digestHexLen = map[string]int{"sha256": 64, "sha512": 128}

// parseDigest checks a digest: sha256 or sha512 and lower-case hex of the
// algorithm's length.
func parseDigest(d string) (alg, hx string, ok bool) {
	alg, hx, found := strings.Cut(d, ":")
	n, known := digestHexLen[alg]
	if !found || !known || len(hx) != n {
		return "", "", false
	}
	for i := 0; i < len(hx); i++ {
		if c := hx[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", "", false
		}
	}
	return alg, hx, true
}

func newHash(alg string) hash.Hash {
	if alg == "sha512" {
		return sha512.New()
	}
	return sha256.New()
}

// digestOf returns the digest of b under alg.
func digestOf(alg string, b []byte) string {
	h := newHash(alg)
	h.Write(b)
	return alg + ":" + hex.EncodeToString(h.Sum(nil))
}

// memChunk is the largest chunk in which memory keeps blob bytes, so that
// a blob costs about its size and never needs one large allocation.
const memChunk = 1 << 20

// memData is bytes in memory, in chunks that grow from 4 KiB to memChunk.
type memData struct {
	chunks [][]byte
	size   int64
}

func (m *memData) write(p []byte) {
	for len(p) > 0 {
		if len(m.chunks) == 0 || len(m.chunks[len(m.chunks)-1]) == cap(m.chunks[len(m.chunks)-1]) {
			n := 4 << 10
			if len(m.chunks) > 0 {
				n = min(2*cap(m.chunks[len(m.chunks)-1]), memChunk)
			}
			m.chunks = append(m.chunks, make([]byte, 0, n))
		}
		last := &m.chunks[len(m.chunks)-1]
		k := min(cap(*last)-len(*last), len(p))
		*last = append(*last, p[:k]...)
		p = p[k:]
		m.size += int64(k)
	}
}

// truncate drops the bytes past n.
func (m *memData) truncate(n int64) {
	var off int64
	for i, c := range m.chunks {
		if off+int64(len(c)) >= n {
			m.chunks[i] = c[:n-off]
			clear(m.chunks[i+1:])
			m.chunks = m.chunks[:i+1]
			m.size = n
			return
		}
		off += int64(len(c))
	}
}

// trim copies a short last chunk to its size, so that a stored blob does
// not keep a mostly empty buffer.
func (m *memData) trim() {
	if k := len(m.chunks); k > 0 && cap(m.chunks[k-1]) > 2*len(m.chunks[k-1]) {
		m.chunks[k-1] = append([]byte(nil), m.chunks[k-1]...)
	}
}

// ReadAt implements io.ReaderAt.
func (m *memData) ReadAt(p []byte, off int64) (int, error) {
	if off >= m.size {
		return 0, io.EOF
	}
	n := 0
	var base int64
	for _, c := range m.chunks {
		end := base + int64(len(c))
		if off < end && n < len(p) {
			k := copy(p[n:], c[off-base:])
			n += k
			off += int64(k)
		}
		base = end
		if n == len(p) {
			return n, nil
		}
	}
	return n, io.EOF
}

func (m *memData) Close() error { return nil }

// staging holds the bytes of an upload in progress: in memory or in a file
// under the storage directory. Every byte is taken from the quota before
// it is kept.
type staging struct {
	q    *quota
	dir  string // "" in memory
	mem  *memData
	f    *os.File
	size int64
	h    hash.Hash // sha256 of what was written
}

func newStaging(dir string, q *quota) (*staging, error) {
	s := &staging{q: q, dir: dir, h: sha256.New()}
	if dir == "" {
		s.mem = &memData{}
		return s, nil
	}
	f, err := os.CreateTemp(filepath.Join(dir, "_uploads"), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("ociregistry: stage an upload: %w", err)
	}
	s.f = f
	return s, nil
}

// write keeps p, taking its bytes from the quota first.
func (s *staging) write(p []byte) error {
	if err := s.q.take(int64(len(p))); err != nil {
		return err
	}
	if s.f != nil {
		if _, err := s.f.Write(p); err != nil {
			s.q.give(int64(len(p)))
			return fmt.Errorf("ociregistry: write an upload: %w", err)
		}
	} else {
		s.mem.write(p)
	}
	s.h.Write(p)
	s.size += int64(len(p))
	return nil
}

// mark is a point to go back to if a chunk fails.
type mark struct {
	size int64
	hash []byte
}

func (s *staging) mark() mark {
	st, _ := s.h.(encoding.BinaryMarshaler).MarshalBinary()
	return mark{size: s.size, hash: st}
}

// rewind drops what was written since m and gives its bytes back.
func (s *staging) rewind(m mark) {
	if s.size == m.size {
		return
	}
	s.q.give(s.size - m.size)
	if s.f != nil {
		_ = s.f.Truncate(m.size)
		_, _ = s.f.Seek(m.size, io.SeekStart)
	} else {
		s.mem.truncate(m.size)
	}
	_ = s.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(m.hash)
	s.size = m.size
}

// digest returns the digest of the staged bytes under alg.
func (s *staging) digest(alg string) (string, error) {
	if alg == "sha256" {
		return "sha256:" + hex.EncodeToString(s.h.Sum(nil)), nil
	}
	h := newHash(alg)
	var r io.ReaderAt = s.mem
	if s.f != nil {
		r = s.f
	}
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, s.size)); err != nil {
		return "", fmt.Errorf("ociregistry: read an upload: %w", err)
	}
	return alg + ":" + hex.EncodeToString(h.Sum(nil)), nil
}

// discard drops the staged bytes and gives them back.
func (s *staging) discard() {
	s.q.give(s.size)
	s.size = 0
	s.mem = nil
	if s.f != nil {
		_ = s.f.Close()
		_ = os.Remove(s.f.Name())
		s.f = nil
	}
}

// blobData is a stored blob.
type blobData struct {
	size    int64
	mem     *memData // nil when it is a file
	holders int      // namespaces that hold it
}

// blobStore keeps blobs by digest, shared by every namespace, in memory or
// in a directory. Its bytes count against the quota.
type blobStore struct {
	dir string
	q   *quota

	mu    sync.Mutex
	blobs map[string]*blobData
}

func newBlobStore(dir string, q *quota) (*blobStore, error) {
	if dir != "" {
		for _, sub := range []string{"sha256", "sha512", "_uploads"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
				return nil, fmt.Errorf("ociregistry: storage directory: %w", err)
			}
		}
		// Uploads of an earlier run cannot be resumed.
		if old, err := os.ReadDir(filepath.Join(dir, "_uploads")); err == nil {
			for _, e := range old {
				_ = os.Remove(filepath.Join(dir, "_uploads", e.Name()))
			}
		}
	}
	return &blobStore{dir: dir, q: q, blobs: make(map[string]*blobData)}, nil
}

func (b *blobStore) path(digest string) string {
	alg, hx, _ := strings.Cut(digest, ":")
	return filepath.Join(b.dir, alg, hx)
}

// commit stores the staged bytes as the blob digest (already verified),
// and holds it for one more namespace if hold. A blob stored already keeps
// its bytes and the staged ones are given back.
func (b *blobStore) commit(digest string, s *staging) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.blobs[digest]; dup {
		s.discard()
		return nil
	}
	d := &blobData{size: s.size}
	if s.f != nil {
		name := s.f.Name()
		if err := s.f.Close(); err != nil {
			s.f = nil
			_ = os.Remove(name)
			s.q.give(s.size)
			return fmt.Errorf("ociregistry: store a blob: %w", err)
		}
		s.f = nil
		if err := os.Rename(name, b.path(digest)); err != nil {
			_ = os.Remove(name)
			s.q.give(s.size)
			return fmt.Errorf("ociregistry: store a blob: %w", err)
		}
	} else {
		s.mem.trim()
		d.mem = s.mem
	}
	s.mem, s.size = nil, 0
	b.blobs[digest] = d
	return nil
}

// put stores bytes as a blob; for content the registry makes itself.
func (b *blobStore) put(digest string, p []byte) error {
	s, err := newStaging(b.dir, b.q)
	if err != nil {
		return err
	}
	if err := s.write(p); err != nil {
		s.discard()
		return err
	}
	return b.commit(digest, s)
}

// size returns the size of a stored blob.
func (b *blobStore) size(digest string) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.blobs[digest]
	if !ok {
		return 0, false
	}
	return d.size, true
}

// hold and release count the namespaces that hold a blob; the last release
// deletes it and gives its bytes back.
func (b *blobStore) hold(digest string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.blobs[digest]; d != nil {
		d.holders++
	}
}

func (b *blobStore) release(digest string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.blobs[digest]
	if d == nil {
		return
	}
	if d.holders--; d.holders > 0 {
		return
	}
	delete(b.blobs, digest)
	if d.mem == nil {
		_ = os.Remove(b.path(digest))
	}
	b.q.give(d.size)
}

// blobReader reads a stored blob.
type blobReader interface {
	io.ReaderAt
	io.Closer
}

// open returns a reader of a stored blob and its size.
func (b *blobStore) open(digest string) (blobReader, int64, error) {
	b.mu.Lock()
	d := b.blobs[digest]
	b.mu.Unlock()
	if d == nil {
		return nil, 0, os.ErrNotExist
	}
	if d.mem != nil {
		return d.mem, d.size, nil
	}
	f, err := os.Open(b.path(digest))
	if err != nil {
		return nil, 0, err
	}
	return f, d.size, nil
}

// randomID returns 16 random bytes as hex: an upload id nobody can guess.
func randomID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errors.New("ociregistry: no randomness for an upload id")
	}
	return hex.EncodeToString(b[:]), nil
}
