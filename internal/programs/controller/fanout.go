package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
	"github.com/docr-dev/docr/facade"
)

// Field indexes of the controller's cache.
const (
	// indexOwner indexes pull Secrets by the PullSecret they belong to.
	indexOwner = "docr.owner"
	// indexSAOwner indexes service accounts by the PullSecrets whose
	// imagePullSecrets entries they carry.
	indexSAOwner = "docr.saOwner"
	// indexToken indexes PullSecrets by "namespace/name" of their token
	// Secret.
	indexToken = "docr.token"
)

// fanOutWorkers bounds the concurrent writes of one fan-out.
const fanOutWorkers = 8

// dockerConfigFor is the .dockerconfigjson of a pull Secret: the
// credential for host only, encoded as the API encodes it (gen's types).
func dockerConfigFor(c *facade.Credentials, host string) ([]byte, error) {
	entry, ok := c.Config.Auths[host]
	if !ok {
		return nil, fmt.Errorf("the API's credentials are not for %s (set %s to the registry host)", host, facade.EnvRegistryHost)
	}
	return json.Marshal(facade.DockerConfig{Auths: map[string]facade.Credential{host: entry}})
}

// isPullSecretOf reports whether s is a pull Secret the controller wrote
// for the PullSecret name.
func isPullSecretOf(s *corev1.Secret, name string) bool {
	return s.Annotations[AnnotationPullSecret] == name && s.Labels[LabelComponent] != ComponentRecord
}

// desiredSecret is the pull Secret of ps in ns.
func desiredSecret(psName, ns, name string, config []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   ns,
			Name:        name,
			Labels:      map[string]string{LabelManagedBy: ManagedBy, LabelComponent: ComponentPullSecret},
			Annotations: map[string]string{AnnotationPullSecret: psName},
		},
		Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: config},
	}
}

// upToDate reports whether s holds what want does.
func upToDate(s, want *corev1.Secret) bool {
	return s.Type == want.Type && len(s.Data) == 1 && bytes.Equal(s.Data[corev1.DockerConfigJsonKey], want.Data[corev1.DockerConfigJsonKey]) &&
		s.Labels[LabelManagedBy] == ManagedBy && s.Labels[LabelComponent] == ComponentPullSecret &&
		s.Annotations[AnnotationPullSecret] == want.Annotations[AnnotationPullSecret] && len(s.StringData) == 0
}

// fanOutResult is what a fan-out achieved.
type fanOutResult struct {
	holding   int      // namespaces whose pull Secret holds the credential
	conflicts []string // namespaces with a Secret of that name docr did not write
}

// selectedNamespaces returns the names of the namespaces s selects, sorted,
// leaving out those being deleted.
func (r *Reconciler) selectedNamespaces(ctx context.Context, s spec) ([]string, error) {
	sel := labels.Everything()
	if s.selector != nil {
		var err error
		if sel, err = metav1.LabelSelectorAsSelector(s.selector); err != nil {
			return nil, err
		}
	}
	var list corev1.NamespaceList
	if err := r.client.List(ctx, &list, client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list.Items))
	for i := range list.Items {
		ns := &list.Items[i]
		if ns.DeletionTimestamp.IsZero() && ns.Status.Phase != corev1.NamespaceTerminating {
			out = append(out, ns.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// fanOut writes the pull Secret into every selected namespace, removes it
// from the others, and keeps the service accounts' entries in step.
func (r *Reconciler) fanOut(ctx context.Context, ps *docrv1.PullSecret, s spec, config []byte) (fanOutResult, error) {
	selected, err := r.selectedNamespaces(ctx, s)
	if err != nil {
		return fanOutResult{}, err
	}
	var owned corev1.SecretList
	if err := r.client.List(ctx, &owned, client.MatchingFields{indexOwner: ps.Name}); err != nil {
		return fanOutResult{}, err
	}
	have := map[string]*corev1.Secret{} // namespace -> our Secret named secretName
	var stale []*corev1.Secret
	isSelected := map[string]bool{}
	for _, ns := range selected {
		isSelected[ns] = true
	}
	for i := range owned.Items {
		sec := &owned.Items[i]
		if sec.Name == s.secretName && isSelected[sec.Namespace] {
			have[sec.Namespace] = sec
		} else {
			stale = append(stale, sec)
		}
	}

	var (
		mu     sync.Mutex
		res    fanOutResult
		errs   []error
		holds  = map[string]bool{}
		work   = make(chan string)
		wg     sync.WaitGroup
		record = func(ns string, ok, conflict bool, err error) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case conflict:
				res.conflicts = append(res.conflicts, ns)
			case ok:
				res.holding++
				holds[ns] = true
			}
		}
	)
	for range min(fanOutWorkers, max(len(selected), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ns := range work {
				ok, conflict, err := r.ensureSecret(ctx, ps.Name, ns, s.secretName, config, have[ns])
				record(ns, ok, conflict, err)
			}
		}()
	}
	for _, ns := range selected {
		work <- ns
	}
	close(work)
	wg.Wait()
	for _, sec := range stale {
		uid := sec.UID
		if err := r.client.Delete(ctx, sec, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			errs = append(errs, fmt.Errorf("delete Secret %s/%s: %w", sec.Namespace, sec.Name, err))
		}
	}
	if err := r.syncServiceAccounts(ctx, ps.Name, s, holds); err != nil {
		errs = append(errs, err)
	}
	sort.Strings(res.conflicts)
	if len(errs) > 0 {
		return res, fmt.Errorf("fan-out: %w (and %d more)", errs[0], len(errs)-1)
	}
	return res, nil
}

// ensureSecret makes the pull Secret of ns hold config. cached is the
// controller's Secret from the cache, if any. It reports whether ns holds
// the credential, or whether a Secret of that name that docr did not write
// is in the way (then nothing is changed).
func (r *Reconciler) ensureSecret(ctx context.Context, psName, ns, name string, config []byte, cached *corev1.Secret) (ok, conflict bool, err error) {
	want := desiredSecret(psName, ns, name, config)
	cur := cached
	if cur == nil {
		err := r.client.Create(ctx, want)
		switch {
		case err == nil:
			return true, false, nil
		case apierrors.IsAlreadyExists(err):
			// Not in the cache: not ours, or the cache lags (or its
			// managed-by label was removed). Ask the API server.
			var got corev1.Secret
			if err := r.apiReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &got); err != nil {
				return false, false, fmt.Errorf("read Secret %s/%s: %w", ns, name, err)
			}
			if !isPullSecretOf(&got, psName) {
				return false, true, nil
			}
			cur = &got
		case apierrors.IsNotFound(err) || apierrors.IsForbidden(err) && strings.Contains(err.Error(), "being terminated"):
			return false, false, nil // the namespace is going away
		default:
			return false, false, fmt.Errorf("create Secret %s/%s: %w", ns, name, err)
		}
	}
	if upToDate(cur, want) {
		return true, false, nil
	}
	if cur.Type != want.Type {
		// The type cannot change: replace the Secret.
		uid := cur.UID
		if err := r.client.Delete(ctx, cur, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
			return false, false, fmt.Errorf("replace Secret %s/%s: %w", ns, name, err)
		}
		if err := r.client.Create(ctx, want); err != nil {
			return false, false, fmt.Errorf("replace Secret %s/%s: %w", ns, name, err)
		}
		return true, false, nil
	}
	upd := cur.DeepCopy()
	upd.Data, upd.StringData = want.Data, nil
	if upd.Labels == nil {
		upd.Labels = map[string]string{}
	}
	for k, v := range want.Labels {
		upd.Labels[k] = v
	}
	if upd.Annotations == nil {
		upd.Annotations = map[string]string{}
	}
	upd.Annotations[AnnotationPullSecret] = psName
	if err := r.client.Update(ctx, upd); err != nil {
		return false, false, fmt.Errorf("update Secret %s/%s: %w", ns, name, err)
	}
	return true, false, nil
}

// conflictMessage names the namespaces whose Secret of that name docr did
// not create (the first five, and how many more).
func conflictMessage(name string, nss []string) string {
	shown := nss
	if len(shown) > 5 {
		shown = shown[:5]
	}
	msg := fmt.Sprintf("a Secret named %s that docr did not create exists in namespace %s; docr leaves it alone (delete or rename it, or set spec.secretName)", name, strings.Join(shown, ", "))
	if len(nss) > len(shown) {
		msg += fmt.Sprintf(" (and %d more namespaces)", len(nss)-len(shown))
	}
	return msg
}

// saEntries parses AnnotationServiceAccount: secret name -> PullSecret.
func saEntries(sa *corev1.ServiceAccount) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(sa.Annotations[AnnotationServiceAccount], ",") {
		if secret, owner, ok := strings.Cut(strings.TrimSpace(pair), "="); ok && secret != "" && owner != "" {
			out[secret] = owner
		}
	}
	return out
}

func formatSAEntries(m map[string]string) string {
	pairs := make([]string, 0, len(m))
	for secret, owner := range m {
		pairs = append(pairs, secret+"="+owner)
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}

// syncServiceAccounts gives the service accounts the mode asks for, in the
// namespaces that hold the credential, the one imagePullSecrets entry
// secretName, and takes away every entry it added that is no longer wanted
// (another mode, another secretName, a namespace no longer selected).
// Entries it did not add are never touched.
func (r *Reconciler) syncServiceAccounts(ctx context.Context, psName string, s spec, holds map[string]bool) error {
	candidates := map[string]*corev1.ServiceAccount{}
	if s.saMode != docrv1.ServiceAccountsNone {
		var all corev1.ServiceAccountList
		if err := r.client.List(ctx, &all); err != nil {
			return err
		}
		for i := range all.Items {
			sa := &all.Items[i]
			if holds[sa.Namespace] && (s.saMode == docrv1.ServiceAccountsAll || sa.Name == "default") {
				candidates[sa.Namespace+"/"+sa.Name] = sa
			}
		}
	}
	var marked corev1.ServiceAccountList
	if err := r.client.List(ctx, &marked, client.MatchingFields{indexSAOwner: psName}); err != nil {
		return err
	}
	for i := range marked.Items {
		sa := &marked.Items[i]
		if _, ok := candidates[sa.Namespace+"/"+sa.Name]; !ok {
			candidates[sa.Namespace+"/"+sa.Name] = sa
		}
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		work = make(chan string)
	)
	for range min(fanOutWorkers, max(len(candidates), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range work {
				sa := candidates[key]
				want := ""
				if s.saMode != docrv1.ServiceAccountsNone && holds[sa.Namespace] && (s.saMode == docrv1.ServiceAccountsAll || sa.Name == "default") {
					want = s.secretName
				}
				if err := r.syncServiceAccount(ctx, psName, sa, want); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("service account %s: %w", key, err))
					mu.Unlock()
				}
			}
		}()
	}
	for key := range candidates {
		work <- key
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// syncServiceAccount makes want ("" for none) the only entry of psName on
// sa that the controller manages.
func (r *Reconciler) syncServiceAccount(ctx context.Context, psName string, sa *corev1.ServiceAccount, want string) error {
	marks := saEntries(sa)
	refs := slices.Clone(sa.ImagePullSecrets)
	hasRef := func(name string) bool {
		return slices.ContainsFunc(refs, func(ref corev1.LocalObjectReference) bool { return ref.Name == name })
	}
	changed := false
	for secret, owner := range marks {
		if owner != psName || secret == want {
			continue
		}
		refs = slices.DeleteFunc(refs, func(ref corev1.LocalObjectReference) bool { return ref.Name == secret })
		delete(marks, secret)
		changed = true
	}
	if want != "" && !hasRef(want) {
		refs = append(refs, corev1.LocalObjectReference{Name: want})
		marks[want] = psName
		changed = true
	}
	if !changed {
		return nil
	}
	upd := sa.DeepCopy()
	upd.ImagePullSecrets = refs
	if len(marks) == 0 {
		delete(upd.Annotations, AnnotationServiceAccount)
	} else {
		if upd.Annotations == nil {
			upd.Annotations = map[string]string{}
		}
		upd.Annotations[AnnotationServiceAccount] = formatSAEntries(marks)
	}
	err := r.client.Patch(ctx, upd, client.MergeFromWithOptions(sa, client.MergeFromWithOptimisticLock{}))
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// removeAll deletes every pull Secret of the PullSecret name and takes its
// entries off every service account.
func (r *Reconciler) removeAll(ctx context.Context, name string) error {
	var owned corev1.SecretList
	if err := r.client.List(ctx, &owned, client.MatchingFields{indexOwner: name}); err != nil {
		return err
	}
	for i := range owned.Items {
		sec := &owned.Items[i]
		uid := sec.UID
		if err := r.client.Delete(ctx, sec, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete Secret %s/%s: %w", sec.Namespace, sec.Name, err)
		}
	}
	return r.syncServiceAccounts(ctx, name, spec{saMode: docrv1.ServiceAccountsNone}, nil)
}
