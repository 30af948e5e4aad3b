package docrtest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/docr-dev/docr/docrtest/ociregistry"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// seedImage is a small image generated from a seed: its config, its one
// layer and its manifest, as bytes.
type seedImage struct {
	config, layer, manifest []byte
}

// seedEpoch is the fixed time inside generated layers and configs.
var seedEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// deterministicBytes returns n bytes of a SHA-256 counter stream keyed by
// key.
func deterministicBytes(key string, n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	var ctr [8]byte
	for i := uint64(0); len(out) < n; i++ {
		binary.BigEndian.PutUint64(ctr[:], i)
		sum := sha256.Sum256(append([]byte(key), ctr[:]...))
		out = append(out, sum[:]...)
	}
	return out[:n]
}

// buildImage generates an image deterministically: one uncompressed tar
// layer holding the file /docrtest/<name> of fileBytes bytes keyed by key,
// an OCI config and an OCI image manifest.
func buildImage(key, name string, fileBytes int) (seedImage, error) {
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	content := deterministicBytes(key, fileBytes)
	if err := tw.WriteHeader(&tar.Header{
		Name: "docrtest/" + name, Mode: 0o644, Size: int64(len(content)), ModTime: seedEpoch,
		Typeflag: tar.TypeReg, Format: tar.FormatUSTAR,
	}); err != nil {
		return seedImage{}, err
	}
	if _, err := tw.Write(content); err != nil {
		return seedImage{}, err
	}
	if err := tw.Close(); err != nil {
		return seedImage{}, err
	}
	layerHash, _, err := v1.SHA256(bytes.NewReader(layer.Bytes()))
	if err != nil {
		return seedImage{}, err
	}
	cfg, err := json.Marshal(v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: seedEpoch},
		Config:       v1.Config{Labels: map[string]string{"dev.docr.docrtest.image": name}},
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{layerHash}},
	})
	if err != nil {
		return seedImage{}, err
	}
	cfgHash, _, err := v1.SHA256(bytes.NewReader(cfg))
	if err != nil {
		return seedImage{}, err
	}
	man, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cfg)), Digest: cfgHash},
		Layers:        []v1.Descriptor{{MediaType: types.OCIUncompressedLayer, Size: int64(layer.Len()), Digest: layerHash}},
	})
	if err != nil {
		return seedImage{}, err
	}
	return seedImage{config: cfg, layer: layer.Bytes(), manifest: man}, nil
}

// seedRepository pushes a seed repository's images into the registry
// engine, dated as the seed says.
func seedRepository(eng *ociregistry.Registry, reg *registry, srepo SeedRepository) error {
	if _, dup := eng.Repository(reg.name, srepo.Name); srepo.Name == "" || dup {
		return fmt.Errorf("docrtest: seed: registry %q: empty or duplicate repository name %q", reg.name, srepo.Name)
	}
	if !ociregistry.ValidName(reg.name + "/" + srepo.Name) {
		return fmt.Errorf("docrtest: seed: registry %q: invalid repository name %q", reg.name, srepo.Name)
	}
	manifests := srepo.Manifests
	if len(manifests) == 0 {
		// A registry has no empty repositories.
		manifests = []SeedManifest{{Tags: []string{"latest"}}}
	}
	seen := make(map[string]bool)
	for i, sm := range manifests {
		if sm.FileBytes < 0 {
			return fmt.Errorf("docrtest: seed: %s/%s: negative FileBytes", reg.name, srepo.Name)
		}
		for _, name := range sm.Tags {
			if name == "" || seen[name] || isDigest(name) {
				return fmt.Errorf("docrtest: seed: %s/%s: empty or duplicate tag %q", reg.name, srepo.Name, name)
			}
			seen[name] = true
		}
		key := reg.name + "/" + srepo.Name + "#" + strconv.Itoa(i)
		n := sm.FileBytes
		if n == 0 {
			n = derivedSize(derivedDigest(key), 1000, 3000)
		}
		img, err := buildImage(key, srepo.Name+"/"+strconv.Itoa(i), n)
		if err != nil {
			return fmt.Errorf("docrtest: seed: %s: %w", key, err)
		}
		at := sm.UpdatedAt
		if at.IsZero() {
			at = reg.createdAt.Add(time.Duration(i+1) * 24 * time.Hour)
		}
		if _, err := eng.Put(reg.name, srepo.Name, [][]byte{img.config, img.layer}, img.manifest,
			string(types.OCIManifestSchema1), sm.Tags, at); err != nil {
			return fmt.Errorf("docrtest: seed: %s: %w", key, err)
		}
	}
	return nil
}

// isDigest reports whether s is a sha256 digest.
func isDigest(s string) bool { return digestRE.MatchString(s) }
