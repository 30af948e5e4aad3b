package controller

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
	"github.com/docr-dev/docr/facade"
)

// The record: one Secret per PullSecret in the controller's namespace that
// holds the credentials minted for it that are current or awaiting
// revocation. It is written before a new credential is fanned out, and it
// is what a restarted or newly elected controller resumes from.

const (
	// recordType is the type of record Secrets.
	recordType corev1.SecretType = "docr.dev/credential-record"
	// recordKey is the data key of the record.
	recordKey = "record.json"
	// recordVersion is the version of the record format.
	recordVersion = 1
	// recordPrefix starts the name of every record Secret.
	recordPrefix = "docr-record-"
)

// recordEntry is one minted credential.
type recordEntry struct {
	// Key is the credential source's cache key it was minted under.
	Key       string    `json:"key,omitempty"`
	Registry  string    `json:"registry"`
	ReadWrite bool      `json:"readWrite"`
	MintedAt  time.Time `json:"mintedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// RevokeAt is when a replaced credential is due for revocation.
	RevokeAt time.Time `json:"revokeAt,omitzero"`
	// Config is the Docker config.json the API returned.
	Config []byte `json:"config"`
}

// credentials parses e back into what the credential source returned.
func (e *recordEntry) credentials() (*facade.Credentials, error) {
	c, err := facade.ParseCredentials(e.Config)
	if err != nil {
		return nil, err
	}
	c.Registry, c.ReadWrite, c.ExpiresAt = e.Registry, e.ReadWrite, e.ExpiresAt
	return c, nil
}

// fingerprint identifies e in logs and events without its secret.
func (e *recordEntry) fingerprint() string {
	sum := sha256.Sum256(e.Config)
	return hex.EncodeToString(sum[:6])
}

// recordData is the JSON document of a record Secret.
type recordData struct {
	Version    int           `json:"version"`
	PullSecret string        `json:"pullSecret"`
	UID        types.UID     `json:"uid"`
	Current    *recordEntry  `json:"current,omitempty"`
	Pending    []recordEntry `json:"pending,omitempty"`
}

func (d recordData) clone() recordData {
	out := d
	if d.Current != nil {
		c := *d.Current
		out.Current = &c
	}
	out.Pending = slices.Clone(d.Pending)
	return out
}

// record is a loaded record and the Secret it came from (nil before the
// first write).
type record struct {
	data   recordData
	secret *corev1.Secret
}

// recordName is the name of the record Secret of the PullSecret name:
// "docr-record-" + name, or for long names a prefix of it and a hash, so
// that it stays a valid Secret name.
func recordName(name string) string {
	n := recordPrefix + name
	if len(n) <= 253 {
		return n
	}
	sum := sha256.Sum256([]byte(name))
	return n[:253-17] + "-" + hex.EncodeToString(sum[:8])
}

// loadRecord reads the record of ps from the API server (not the cache: a
// stale record could make the controller mint twice). A record of another
// PullSecret of the same name (deleted without its finalizer and created
// again) is taken over: its credentials become due for revocation.
func (r *Reconciler) loadRecord(ctx context.Context, ps *docrv1.PullSecret) (*record, error) {
	var s corev1.Secret
	err := r.apiReader.Get(ctx, client.ObjectKey{Namespace: r.cfg.Namespace, Name: recordName(ps.Name)}, &s)
	if apierrors.IsNotFound(err) {
		return &record{data: recordData{Version: recordVersion, PullSecret: ps.Name, UID: ps.UID}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the credential record: %w", err)
	}
	rec := &record{secret: &s}
	if err := json.Unmarshal(s.Data[recordKey], &rec.data); err != nil {
		return nil, fmt.Errorf("the credential record %s/%s is not valid: %w", s.Namespace, s.Name, err)
	}
	if rec.data.UID != ps.UID {
		now := r.now()
		if rec.data.Current != nil {
			rec.data.Current.RevokeAt = now
			rec.data.Pending = append(rec.data.Pending, *rec.data.Current)
			rec.data.Current = nil
		}
		rec.data.UID = ps.UID
	}
	return rec, nil
}

// writeRecord writes next as the record of ps, creating the Secret or
// updating it only if nobody changed it since it was read
// (resourceVersion), and makes it rec's state.
func (r *Reconciler) writeRecord(ctx context.Context, ps *docrv1.PullSecret, rec *record, next recordData) error {
	next.Version, next.PullSecret = recordVersion, ps.Name
	data, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if rec.secret == nil {
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{
				Namespace:   r.cfg.Namespace,
				Name:        recordName(ps.Name),
				Labels:      map[string]string{LabelManagedBy: ManagedBy, LabelComponent: ComponentRecord},
				Annotations: map[string]string{AnnotationRecordOf: ps.Name},
			},
			Type: recordType,
			Data: map[string][]byte{recordKey: data},
		}
		if err := r.client.Create(ctx, s); err != nil {
			return fmt.Errorf("create the credential record: %w", err)
		}
		rec.secret, rec.data = s, next
		return nil
	}
	s := rec.secret.DeepCopy()
	s.Data = map[string][]byte{recordKey: data}
	if err := r.client.Update(ctx, s); err != nil {
		return fmt.Errorf("update the credential record: %w", err)
	}
	rec.secret, rec.data = s, next
	return nil
}

// deleteRecord deletes the record Secret of ps, if any.
func (r *Reconciler) deleteRecord(ctx context.Context, rec *record) error {
	if rec.secret == nil {
		return nil
	}
	err := r.client.Delete(ctx, rec.secret, client.Preconditions{UID: &rec.secret.UID, ResourceVersion: &rec.secret.ResourceVersion})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete the credential record: %w", err)
	}
	rec.secret = nil
	return nil
}

// recordCache is the credential source's cache for one PullSecret, backed
// by its record. Store makes the new credential current and moves the one
// it replaces to the pending list, due for revocation revokeAfter later, in
// one write.
type recordCache struct {
	r           *Reconciler
	ps          *docrv1.PullSecret
	rec         *record
	revokeAfter time.Duration
	// stored is set when Store wrote a new credential (a mint).
	stored bool
}

// Load returns the current credential if it was minted under key.
func (c *recordCache) Load(_ context.Context, key string) (*facade.Credentials, error) {
	cur := c.rec.data.Current
	if cur == nil || cur.Key != key {
		return nil, nil
	}
	return cur.credentials()
}

// Store records creds as current under key.
func (c *recordCache) Store(ctx context.Context, key string, creds *facade.Credentials) error {
	now := c.r.now()
	next := c.rec.data.clone()
	entry := recordEntry{
		Key:       key,
		Registry:  creds.Registry,
		ReadWrite: creds.ReadWrite,
		MintedAt:  now,
		ExpiresAt: creds.ExpiresAt,
		Config:    bytes.Clone(creds.Raw),
	}
	if old := next.Current; old != nil && !bytes.Equal(old.Config, entry.Config) {
		old.RevokeAt = now.Add(c.revokeAfter)
		next.Pending = append(next.Pending, *old)
	}
	next.Current = &entry
	if err := c.r.writeRecord(ctx, c.ps, c.rec, next); err != nil {
		return err
	}
	c.stored = true
	return nil
}
