package docrtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DefaultStorageCap is how many bytes of blobs a fake keeps in memory
// unless [WithStorageCap] says otherwise.
const DefaultStorageCap = 1 << 30

// ErrStorageFull is the error a push meets once the fake's storage cap is
// reached; the registry answers it with 413 and the code DENIED.
var ErrStorageFull = errors.New("docrtest: storage cap reached")

// storeChunk is the largest unit in which the memory store keeps a blob, so
// that a stored blob costs about its size, with no slice growth.
const storeChunk = 1 << 20

// blobStore is the registry library's blob backend: blobs by digest, in
// memory or in a directory, under a cap on the bytes stored. It is
// content-addressed and shared by all registries of the fake; which
// registry holds which blob is the state's business.
type blobStore struct {
	dir string // "" keeps blobs in memory
	cap int64  // 0: no cap

	mu       sync.Mutex
	used     int64 // bytes of stored blobs
	reserved int64 // bytes of uploads in progress (see reserve)
	mem      map[string][][]byte
	sizes    map[string]int64
}

var (
	_ ggcrregistry.BlobHandler       = (*blobStore)(nil)
	_ ggcrregistry.BlobStatHandler   = (*blobStore)(nil)
	_ ggcrregistry.BlobPutHandler    = (*blobStore)(nil)
	_ ggcrregistry.BlobDeleteHandler = (*blobStore)(nil)
)

func newBlobStore(dir string, capBytes int64) (*blobStore, error) {
	if dir != "" {
		if err := os.MkdirAll(filepath.Join(dir, "sha256"), 0o700); err != nil {
			return nil, fmt.Errorf("docrtest: storage directory: %w", err)
		}
	}
	return &blobStore{dir: dir, cap: capBytes, mem: make(map[string][][]byte), sizes: make(map[string]int64)}, nil
}

func (b *blobStore) path(h v1.Hash) string { return filepath.Join(b.dir, h.Algorithm, h.Hex) }

// Stat implements the library's BlobStatHandler.
func (b *blobStore) Stat(_ context.Context, _ string, h v1.Hash) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.sizes[h.String()]
	if !ok {
		return 0, ggcrregistry.ErrNotFound
	}
	return n, nil
}

// Get implements the library's BlobHandler.
func (b *blobStore) Get(_ context.Context, _ string, h v1.Hash) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.sizes[h.String()]; !ok {
		return nil, ggcrregistry.ErrNotFound
	}
	if b.dir != "" {
		f, err := os.Open(b.path(h))
		if errors.Is(err, os.ErrNotExist) {
			return nil, ggcrregistry.ErrNotFound
		}
		return f, err
	}
	chunks := b.mem[h.String()]
	rs := make([]io.Reader, len(chunks))
	for i, c := range chunks {
		rs[i] = bytes.NewReader(c)
	}
	return io.NopCloser(io.MultiReader(rs...)), nil
}

// Put implements the library's BlobPutHandler. rc verifies the digest as it
// is read; a mismatch fails the read, and nothing is stored.
func (b *blobStore) Put(ctx context.Context, _ string, h v1.Hash, rc io.ReadCloser) (err error) {
	defer rc.Close()
	key := h.String()
	var n int64
	defer func() {
		if err != nil {
			b.mu.Lock()
			b.used -= n
			b.mu.Unlock()
		}
	}()
	// take reserves k more bytes of the cap.
	take := func(k int64) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.cap > 0 && b.used+k > b.cap {
			return fmt.Errorf("%w: %d bytes stored, the cap is %d", ErrStorageFull, b.used, b.cap)
		}
		b.used += k
		n += k
		return nil
	}
	if b.dir != "" {
		f, err := os.CreateTemp(b.dir, "upload-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name()) // a no-op after the rename
		buf := make([]byte, 256<<10)
		for {
			k, rerr := rc.Read(buf)
			if k > 0 {
				if err := take(int64(k)); err != nil {
					f.Close()
					return noteCap(ctx, err)
				}
				if _, err := f.Write(buf[:k]); err != nil {
					f.Close()
					return err
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				f.Close()
				return rerr
			}
		}
		if err := f.Close(); err != nil {
			return err
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, dup := b.sizes[key]; dup {
			b.used -= n
			n = 0
			return nil
		}
		if err := os.Rename(f.Name(), b.path(h)); err != nil {
			b.used -= n
			n = 0
			return err
		}
		b.sizes[key] = n
		return nil
	}
	var chunks [][]byte
	// Chunks grow from 4 KiB to storeChunk, so that small blobs stay
	// small; a short last chunk is copied to its size.
	for size := 4 << 10; ; size = min(2*size, storeChunk) {
		c := make([]byte, size)
		k, rerr := io.ReadFull(rc, c)
		if k > 0 {
			if err := take(int64(k)); err != nil {
				return noteCap(ctx, err)
			}
			if k < size/2 {
				c = bytes.Clone(c[:k])
			}
			chunks = append(chunks, c[:k:k])
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.sizes[key]; dup {
		b.used -= n
		n = 0
		return nil
	}
	b.mem[key] = chunks
	b.sizes[key] = n
	return nil
}

// Delete implements the library's BlobDeleteHandler; the gate lets no
// client call it, only the fake's garbage collection.
func (b *blobStore) Delete(_ context.Context, _ string, h v1.Hash) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.deleteLocked(h.String())
}

func (b *blobStore) deleteLocked(key string) error {
	n, ok := b.sizes[key]
	if !ok {
		return ggcrregistry.ErrNotFound
	}
	if b.dir != "" {
		h, err := v1.NewHash(key)
		if err != nil {
			return err
		}
		if err := os.Remove(b.path(h)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	delete(b.mem, key)
	delete(b.sizes, key)
	b.used -= n
	return nil
}

// remove deletes a blob by digest string, if present.
func (b *blobStore) remove(digest string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.deleteLocked(digest)
}

// has reports whether a blob is stored.
func (b *blobStore) has(digest string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.sizes[digest]
	return ok
}

// size returns the size of a stored blob.
func (b *blobStore) size(digest string) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.sizes[digest]
	return n, ok
}

// reserve accounts k bytes of an upload in progress (the registry library
// holds them in memory until the upload completes), failing once stored
// and reserved bytes would pass the cap. A negative k releases.
func (b *blobStore) reserve(k int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k > 0 && b.cap > 0 && b.used+b.reserved+k > b.cap {
		return fmt.Errorf("%w: %d bytes stored and %d in uploads, the cap is %d", ErrStorageFull, b.used, b.reserved, b.cap)
	}
	b.reserved += k
	return nil
}

// noteCap records a cap error in the request's gate state, so that the
// gate answers it as a distribution error instead of the library's 500.
func noteCap(ctx context.Context, err error) error {
	if gs, ok := ctx.Value(gateKey{}).(*gateState); ok {
		gs.capErr = err
	}
	return err
}
