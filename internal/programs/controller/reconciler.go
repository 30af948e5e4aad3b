package controller

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
	"github.com/docr-dev/docr/facade"
)

// Labels, annotations and the finalizer the controller puts on what it
// owns.
const (
	// LabelManagedBy (= ManagedBy) marks every Secret the controller
	// writes; its informer caches only Secrets with it (and those of its
	// own namespace).
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "docr-controller"
	// LabelComponent tells pull Secrets from credential records.
	LabelComponent = "app.kubernetes.io/component"
	// ComponentPullSecret is LabelComponent of the pull Secrets.
	ComponentPullSecret = "pull-secret"
	// ComponentRecord is LabelComponent of the credential records.
	ComponentRecord = "credential-record"
	// AnnotationPullSecret is the owner annotation of a pull Secret: the
	// name of its PullSecret. A Secret without it is never touched.
	AnnotationPullSecret = "docr.dev/pullsecret"
	// AnnotationRecordOf names the PullSecret of a credential record.
	AnnotationRecordOf = "docr.dev/record-of"
	// AnnotationServiceAccount lists, on a service account, the
	// imagePullSecrets entries the controller added, as
	// "<secret>=<pullsecret>" pairs separated by commas.
	AnnotationServiceAccount = "docr.dev/image-pull-secrets"
	// Finalizer holds a PullSecret until its Secrets, service-account
	// entries and credentials are gone.
	Finalizer = "docr.dev/cleanup"
	// ConditionReady is the condition type of a PullSecret's status.
	ConditionReady = "Ready"
)

// Reasons of the Ready condition and of Events.
const (
	ReasonReady            = "Ready"
	ReasonInvalidSpec      = "InvalidSpec"
	ReasonTokenMissing     = "TokenSecretNotFound"
	ReasonTokenRefused     = "TokenRefused"
	ReasonRegistryNotFound = "RegistryNotFound"
	ReasonRateLimited      = "RateLimited"
	ReasonAPIError         = "APIError"
	ReasonAPITimeout       = "APITimeout"
	ReasonRecordFailed     = "RecordFailed"
	ReasonSecretConflict   = "SecretConflict"
	ReasonFanOutFailed     = "FanOutFailed"
	ReasonMinted           = "Minted"
	ReasonRevoked          = "Revoked"
	ReasonRevokeFailed     = "RevocationFailed"
)

// ConflictRecheck is how often the controller looks again at a namespace
// whose Secret of the same name docr did not create (its cache does not
// hold such Secrets, so no event says when one goes).
const ConflictRecheck = time.Minute

// Reconciler reconciles PullSecrets.
type Reconciler struct {
	client    client.Client
	apiReader client.Reader
	recorder  events.EventRecorder
	cfg       Config
	clock     clock.PassiveClock
	transport http.RoundTripper
	policy    backoffPolicy
	mints     gate // per PullSecret UID
	revokes   gate // per credential fingerprint
}

func (r *Reconciler) now() time.Time { return r.clock.Now().Round(0) }

// spec is a PullSecret's spec with every default applied.
type spec struct {
	registry    string
	readWrite   bool
	expiry      time.Duration
	renewBefore time.Duration
	revokeAfter time.Duration
	secretName  string
	tokenNS     string
	tokenName   string
	tokenKey    string
	saMode      docrv1.ServiceAccountMode
	selector    *metav1.LabelSelector
}

// resolve applies the defaults the CRD cannot (renewBefore, secretName) and
// checks again what it checks, in case the CRD installed is older.
func resolve(ps *docrv1.PullSecret) (spec, error) {
	s := spec{
		registry:    ps.Spec.Registry,
		readWrite:   ps.Spec.ReadWrite,
		expiry:      24 * time.Hour,
		revokeAfter: 5 * time.Minute,
		secretName:  ps.Spec.SecretName,
		tokenNS:     ps.Spec.TokenSecretRef.Namespace,
		tokenName:   ps.Spec.TokenSecretRef.Name,
		tokenKey:    ps.Spec.TokenSecretRef.Key,
		saMode:      ps.Spec.ServiceAccounts,
		selector:    ps.Spec.NamespaceSelector,
	}
	if ps.Spec.Expiry != nil {
		s.expiry = ps.Spec.Expiry.Duration
	}
	if ps.Spec.RevokeAfter != nil {
		s.revokeAfter = ps.Spec.RevokeAfter.Duration
	}
	s.renewBefore = s.expiry / 3
	if ps.Spec.RenewBefore != nil {
		s.renewBefore = ps.Spec.RenewBefore.Duration
	}
	if s.secretName == "" {
		s.secretName = docrv1.SecretNamePrefix + s.registry
	}
	if s.tokenKey == "" {
		s.tokenKey = docrv1.DefaultTokenKey
	}
	if s.saMode == "" {
		s.saMode = docrv1.ServiceAccountsDefault
	}
	switch {
	case facade.CheckRegistryName(s.registry) != nil:
		return s, fmt.Errorf("registry: %w", facade.CheckRegistryName(s.registry))
	case s.expiry < 2*time.Minute || s.expiry > 90*24*time.Hour || s.expiry%time.Second != 0:
		return s, errors.New("expiry must be whole seconds from 2m to 90 days")
	case s.renewBefore <= 0 || s.renewBefore >= s.expiry:
		return s, errors.New("renewBefore must be positive and less than expiry")
	case s.revokeAfter < 0:
		return s, errors.New("revokeAfter must not be negative")
	case s.tokenNS == "" || s.tokenName == "":
		return s, errors.New("tokenSecretRef needs a namespace and a name")
	case s.saMode != docrv1.ServiceAccountsDefault && s.saMode != docrv1.ServiceAccountsAll && s.saMode != docrv1.ServiceAccountsNone:
		return s, fmt.Errorf("serviceAccounts must be Default, All or None, not %q", s.saMode)
	}
	if _, err := metav1.LabelSelectorAsSelector(s.selector); err != nil {
		return s, fmt.Errorf("namespaceSelector: %w", err)
	}
	return s, nil
}

// failure is why a step failed: a condition reason and a message that
// never holds a secret.
type failure struct {
	reason string
	msg    string
	retry  time.Time // zero: the next event or the periodic requeue
}

// Reconcile brings one PullSecret's namespaces, service accounts, record
// and credentials to what its spec asks.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var ps docrv1.PullSecret
	if err := r.client.Get(ctx, req.NamespacedName, &ps); err != nil {
		if apierrors.IsNotFound(err) {
			return r.orphan(ctx, req.Name)
		}
		return ctrl.Result{}, err
	}
	if !ps.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, &ps)
	}
	if !controllerutil.ContainsFinalizer(&ps, Finalizer) {
		orig := ps.DeepCopy()
		controllerutil.AddFinalizer(&ps, Finalizer)
		if err := r.client.Patch(ctx, &ps, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, err
		}
	}
	s, err := resolve(&ps)
	if err != nil {
		f := &failure{reason: ReasonInvalidSpec, msg: "invalid spec: " + err.Error()}
		r.warn(&ps, f)
		return ctrl.Result{}, r.patchStatus(ctx, &ps, nil, 0, f)
	}
	now := r.now()
	rec, err := r.loadRecord(ctx, &ps)
	if err != nil {
		return ctrl.Result{}, err
	}
	var wake []time.Time

	// 1. Revoke what is due (needs no API token).
	next, err := r.revokeDue(ctx, &ps, rec, now, false)
	if err != nil {
		return ctrl.Result{}, err
	}
	wake = append(wake, next)

	// 2. The current credential: reuse or mint, through the library's
	// credential source and the record as its cache.
	cur, fail := r.credential(ctx, &ps, s, rec, now)
	if fail != nil {
		r.warn(&ps, fail)
		wake = append(wake, fail.retry)
	}
	if cur != nil {
		wake = append(wake, cur.ExpiresAt.Add(-s.renewBefore))
	}
	for _, p := range rec.data.Pending {
		wake = append(wake, p.RevokeAt) // a credential replaced just now
	}

	// 3. Fan out (also when a mint failed, while the recorded credential
	// is still valid and still satisfies the spec).
	holding := 0
	if cur != nil {
		config, err := dockerConfigFor(cur, r.cfg.RegistryHost)
		if err != nil {
			fail = &failure{reason: ReasonAPIError, msg: err.Error()}
			r.warn(&ps, fail)
		} else {
			res, err := r.fanOut(ctx, &ps, s, config)
			if err != nil {
				return ctrl.Result{}, err
			}
			holding = res.holding
			if len(res.conflicts) > 0 {
				// The informer does not see Secrets docr did not write, so
				// nothing tells it when one goes: look again later.
				wake = append(wake, now.Add(ConflictRecheck))
				if fail == nil {
					fail = &failure{reason: ReasonSecretConflict, msg: conflictMessage(s.secretName, res.conflicts)}
					r.warn(&ps, fail)
				}
			}
		}
	} else if fail == nil {
		fail = &failure{reason: ReasonAPIError, msg: "no credential"}
	}
	metricManaged.WithLabelValues(ps.Name).Set(float64(holding))
	if err := r.patchStatus(ctx, &ps, rec.data.Current, holding, fail); err != nil {
		return ctrl.Result{}, err
	}
	return r.requeue(now, wake), nil
}

// requeue returns a result that runs the reconciler again at the earliest
// non-zero time of wake.
func (r *Reconciler) requeue(now time.Time, wake []time.Time) ctrl.Result {
	var at time.Time
	for _, w := range wake {
		if !w.IsZero() && (at.IsZero() || w.Before(at)) {
			at = w
		}
	}
	if at.IsZero() {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: max(at.Sub(now), time.Millisecond)}
}

// credential returns the credential the namespaces should hold: the
// current one, freshly minted if it was due, or (when a mint fails) the
// recorded one if it is still valid and satisfies the spec.
func (r *Reconciler) credential(ctx context.Context, ps *docrv1.PullSecret, s spec, rec *record, now time.Time) (*facade.Credentials, *failure) {
	fallback := func(f *failure) (*facade.Credentials, *failure) {
		cur := rec.data.Current
		if cur == nil || !now.Before(cur.ExpiresAt) || cur.Registry != s.registry || cur.ReadWrite != s.readWrite {
			return nil, f
		}
		c, err := cur.credentials()
		if err != nil {
			return nil, f
		}
		return c, f
	}
	id := string(ps.UID)
	token, tokenVersion, f := r.token(ctx, s)
	if f != nil {
		// Look again after a backoff: a token Secret outside the
		// controller's namespace is not watched.
		f.retry = r.mints.fail(id, "no token", now, r.policy, 0)
		return fallback(f)
	}
	inputs := strings.Join([]string{s.registry, strconv.FormatBool(s.readWrite), s.expiry.String(), tokenVersion}, "|")
	if until, blocked := r.mints.blocked(id, inputs, now); blocked {
		// Reuse without minting; a mint waits for the backoff.
		if cur := rec.data.Current; cur != nil && cur.Registry == s.registry && cur.ReadWrite == s.readWrite && now.Before(cur.ExpiresAt.Add(-s.renewBefore)) {
			c, err := cur.credentials()
			if err == nil {
				return c, nil
			}
		}
		cond := meta.FindStatusCondition(ps.Status.Conditions, ConditionReady)
		f := &failure{reason: ReasonAPIError, msg: "waiting before the next attempt", retry: until}
		if cond != nil && cond.Status == metav1.ConditionFalse {
			f.reason, f.msg = cond.Reason, cond.Message
		}
		return fallback(f)
	}
	c, err := facade.New(token, r.clientOptions()...)
	if err != nil {
		// A malformed token; the message never holds it.
		return fallback(&failure{reason: ReasonTokenRefused, msg: fmt.Sprintf("the token in Secret %s/%s key %s: %v", s.tokenNS, s.tokenName, s.tokenKey, err)})
	}
	cache := &recordCache{r: r, ps: ps, rec: rec, revokeAfter: s.revokeAfter}
	src, err := newSource(c, facade.SourceOptions{
		Request:     facade.CredentialsRequest{Registry: s.registry, ReadWrite: s.readWrite, Expiry: s.expiry},
		RenewBefore: s.renewBefore,
		Host:        r.cfg.RegistryHost,
		Cache:       cache,
		Now:         r.now,
	})
	if err != nil {
		return nil, &failure{reason: ReasonInvalidSpec, msg: err.Error()}
	}
	creds, err := src.Credentials(ctx)
	if err != nil {
		f := classify(err, s)
		f.retry = r.mints.fail(id, inputs, now, r.policy, askedWait(err, now))
		log := ctrl.LoggerFrom(ctx)
		log.Info("mint failed", "reason", f.reason, "error", f.msg, "retryAt", f.retry)
		return fallback(f)
	}
	r.mints.reset(id)
	if cache.stored {
		metricMints.WithLabelValues(ps.Name).Inc()
		cur := rec.data.Current
		ctrl.LoggerFrom(ctx).Info("minted a credential", "fingerprint", cur.fingerprint(), "expiresAt", cur.ExpiresAt, "pending", len(rec.data.Pending))
		r.recorder.Eventf(ps, nil, corev1.EventTypeNormal, ReasonMinted, "Mint", "minted a %s credential for registry %s, expiring %s", access(s.readWrite), s.registry, cur.ExpiresAt.UTC().Format(time.RFC3339))
	}
	metricExpiry.WithLabelValues(ps.Name).Set(float64(creds.ExpiresAt.Unix()))
	return creds, nil
}

func access(readWrite bool) string {
	if readWrite {
		return "read-write"
	}
	return "read-only"
}

// classify turns a mint error into a reason and a message.
func classify(err error, s spec) *failure {
	var ae *facade.APIError
	var ne net.Error
	switch {
	case errors.Is(err, facade.ErrUnauthorized) || errors.Is(err, facade.ErrForbidden):
		return &failure{reason: ReasonTokenRefused, msg: fmt.Sprintf("the API refused the token in Secret %s/%s: %v", s.tokenNS, s.tokenName, err)}
	case errors.Is(err, facade.ErrNotFound):
		return &failure{reason: ReasonRegistryNotFound, msg: fmt.Sprintf("registry %s: %v", s.registry, err)}
	case errors.Is(err, facade.ErrRateLimited):
		return &failure{reason: ReasonRateLimited, msg: err.Error()}
	case errors.As(err, &ae):
		return &failure{reason: ReasonAPIError, msg: err.Error()}
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return &failure{reason: ReasonAPITimeout, msg: err.Error()}
	case strings.Contains(err.Error(), "credential record"):
		return &failure{reason: ReasonRecordFailed, msg: err.Error()}
	}
	return &failure{reason: ReasonAPIError, msg: err.Error()}
}

// token reads the API token from the PullSecret's token Secret: from the
// cache in the controller's namespace, else from the API server. version
// changes whenever the Secret does.
func (r *Reconciler) token(ctx context.Context, s spec) (token, version string, f *failure) {
	reader := r.apiReader
	if s.tokenNS == r.cfg.Namespace {
		reader = r.client
	}
	var sec corev1.Secret
	err := reader.Get(ctx, client.ObjectKey{Namespace: s.tokenNS, Name: s.tokenName}, &sec)
	switch {
	case apierrors.IsNotFound(err):
		return "", "", &failure{reason: ReasonTokenMissing, msg: fmt.Sprintf("token Secret %s/%s not found", s.tokenNS, s.tokenName)}
	case err != nil:
		return "", "", &failure{reason: ReasonTokenMissing, msg: fmt.Sprintf("read token Secret %s/%s: %v", s.tokenNS, s.tokenName, err)}
	}
	data, ok := sec.Data[s.tokenKey]
	if !ok || strings.TrimSpace(string(data)) == "" {
		return "", "", &failure{reason: ReasonTokenMissing, msg: fmt.Sprintf("token Secret %s/%s has no key %s", s.tokenNS, s.tokenName, s.tokenKey)}
	}
	return string(data), string(sec.UID) + "/" + sec.ResourceVersion, nil
}

// clientOptions are the facade options of every API client: the
// configured endpoints, the counting transport, one attempt per request
// (the controller backs off itself, between reconciles).
func (r *Reconciler) clientOptions() []facade.Option {
	opts := []facade.Option{
		facade.WithTransport(r.transport),
		facade.WithRetry(facade.RetryPolicy{MaxAttempts: 1}),
		facade.WithTimeout(r.cfg.APITimeout),
		facade.WithUserAgent("docr-controller/" + facade.Version + " " + facade.DefaultUserAgent),
		facade.WithClock(r.now),
	}
	if r.cfg.APIURL != "" {
		opts = append(opts, facade.WithBaseURL(r.cfg.APIURL))
	}
	if r.cfg.RevokeURL != "" {
		opts = append(opts, facade.WithRevokeURL(r.cfg.RevokeURL))
	}
	return opts
}

// revokeDue revokes the pending credentials whose grace has passed (all of
// them, current included, with all set), drops those that expired, and
// writes the record if it changed. It returns when to come back.
func (r *Reconciler) revokeDue(ctx context.Context, ps *docrv1.PullSecret, rec *record, now time.Time, all bool) (time.Time, error) {
	next := rec.data.clone()
	var wake time.Time
	soon := func(t time.Time) {
		if !t.IsZero() && (wake.IsZero() || t.Before(wake)) {
			wake = t
		}
	}
	entries := next.Pending
	if all && next.Current != nil {
		entries = append(entries, *next.Current)
		next.Current = nil
	}
	var keep []recordEntry
	changed := len(entries) != len(next.Pending)
	for _, e := range entries {
		switch {
		case !now.Before(e.ExpiresAt):
			metricRevocations.WithLabelValues(ps.Name, "expired").Inc()
			changed = true
			continue
		case !all && now.Before(e.RevokeAt):
			soon(e.RevokeAt)
			keep = append(keep, e)
			continue
		}
		fp := e.fingerprint()
		if until, blocked := r.revokes.blocked(fp, "", now); blocked {
			soon(until)
			keep = append(keep, e)
			continue
		}
		if err := r.revoke(ctx, &e); err != nil {
			metricRevocations.WithLabelValues(ps.Name, "error").Inc()
			until := r.revokes.fail(fp, "", now, r.policy, 0)
			soon(until)
			keep = append(keep, e)
			ctrl.LoggerFrom(ctx).Info("revocation failed", "fingerprint", fp, "error", err.Error(), "retryAt", until)
			r.recorder.Eventf(ps, nil, corev1.EventTypeWarning, ReasonRevokeFailed, "Revoke", "revoking a replaced credential failed (retrying until it expires at %s): %v", e.ExpiresAt.UTC().Format(time.RFC3339), err)
			continue
		}
		r.revokes.reset(fp)
		metricRevocations.WithLabelValues(ps.Name, "success").Inc()
		changed = true
		ctrl.LoggerFrom(ctx).Info("revoked a credential", "fingerprint", fp)
		r.recorder.Eventf(ps, nil, corev1.EventTypeNormal, ReasonRevoked, "Revoke", "revoked a credential minted %s", e.MintedAt.UTC().Format(time.RFC3339))
	}
	if !changed {
		return wake, nil
	}
	next.Pending = keep
	if err := r.writeRecord(ctx, ps, rec, next); err != nil {
		return time.Time{}, err
	}
	return wake, nil
}

// revoke revokes every password of e at the revocation endpoint.
func (r *Reconciler) revoke(ctx context.Context, e *recordEntry) error {
	creds, err := e.credentials()
	if err != nil {
		return err
	}
	for _, p := range secrets(creds) {
		if err := facade.RevokeCredential(ctx, p, r.clientOptions()...); err != nil {
			return err
		}
	}
	return nil
}

// warn emits a Warning Event for f.
func (r *Reconciler) warn(ps *docrv1.PullSecret, f *failure) {
	r.recorder.Eventf(ps, nil, corev1.EventTypeWarning, f.reason, "Reconcile", "%s", f.msg)
}

// patchStatus writes the status: the current credential's times, the
// namespaces holding it and the Ready condition.
func (r *Reconciler) patchStatus(ctx context.Context, ps *docrv1.PullSecret, cur *recordEntry, holding int, f *failure) error {
	orig := ps.DeepCopy()
	st := &ps.Status
	st.ObservedGeneration = ps.Generation
	st.Namespaces = int32(holding)
	st.ExpiresAt, st.RotatedAt = nil, nil
	if cur != nil {
		st.ExpiresAt = &metav1.Time{Time: cur.ExpiresAt.UTC().Truncate(time.Second)}
		st.RotatedAt = &metav1.Time{Time: cur.MintedAt.UTC().Truncate(time.Second)}
	}
	cond := metav1.Condition{Type: ConditionReady, Status: metav1.ConditionTrue, Reason: ReasonReady, ObservedGeneration: ps.Generation}
	if f != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, f.reason, f.msg
	} else {
		cond.Message = fmt.Sprintf("%d namespaces hold the current credential", holding)
	}
	if len(cond.Message) > 2048 {
		cond.Message = cond.Message[:2048]
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	if equalStatus(orig.Status, ps.Status) {
		return nil
	}
	if err := r.client.Status().Patch(ctx, ps, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

func equalStatus(a, b docrv1.PullSecretStatus) bool {
	return a.ObservedGeneration == b.ObservedGeneration && a.Namespaces == b.Namespaces &&
		equalTime(a.ExpiresAt, b.ExpiresAt) && equalTime(a.RotatedAt, b.RotatedAt) &&
		equalConditions(a.Conditions, b.Conditions)
}

func equalTime(a, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b)
}

func equalConditions(a, b []metav1.Condition) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message || x.ObservedGeneration != y.ObservedGeneration {
			return false
		}
	}
	return true
}

// finalize removes what the PullSecret made and revokes what it minted,
// then removes the finalizer.
func (r *Reconciler) finalize(ctx context.Context, ps *docrv1.PullSecret) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(ps, Finalizer) {
		return ctrl.Result{}, nil
	}
	if err := r.removeAll(ctx, ps.Name); err != nil {
		return ctrl.Result{}, err
	}
	rec, err := r.loadRecord(ctx, ps)
	if err != nil {
		return ctrl.Result{}, err
	}
	now := r.now()
	wake, err := r.revokeDue(ctx, ps, rec, now, true)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(rec.data.Pending) > 0 || rec.data.Current != nil {
		// Revocations still failing: keep the finalizer and retry.
		return r.requeue(now, []time.Time{wake}), nil
	}
	if err := r.deleteRecord(ctx, rec); err != nil {
		return ctrl.Result{}, err
	}
	orig := ps.DeepCopy()
	controllerutil.RemoveFinalizer(ps, Finalizer)
	if err := r.client.Patch(ctx, ps, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	r.mints.reset(string(ps.UID))
	forgetMetrics(ps.Name)
	ctrl.LoggerFrom(ctx).Info("cleaned up")
	return ctrl.Result{}, nil
}

// orphan handles a PullSecret that is gone: if a credential record of that
// name is left (its finalizer was removed by hand), it revokes what the
// record holds and deletes it.
func (r *Reconciler) orphan(ctx context.Context, name string) (ctrl.Result, error) {
	var ps docrv1.PullSecret
	if err := r.apiReader.Get(ctx, client.ObjectKey{Name: name}, &ps); err == nil || !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err // it exists (the cache lags) or the API server failed
	}
	ghost := &docrv1.PullSecret{ObjectMeta: metav1.ObjectMeta{Name: name}}
	rec, err := r.loadRecord(ctx, ghost)
	if err != nil || rec.secret == nil {
		return ctrl.Result{}, err
	}
	if err := r.removeAll(ctx, name); err != nil {
		return ctrl.Result{}, err
	}
	now := r.now()
	wake, err := r.revokeDue(ctx, ghost, rec, now, true)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(rec.data.Pending) > 0 || rec.data.Current != nil {
		return r.requeue(now, []time.Time{wake}), nil
	}
	forgetMetrics(name)
	return ctrl.Result{}, r.deleteRecord(ctx, rec)
}
