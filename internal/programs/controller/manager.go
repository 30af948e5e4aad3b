package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
)

// LeaderElectionID is the name of the Lease the replicas elect a leader
// on, in the controller's namespace.
const LeaderElectionID = "docr-controller.docr.dev"

// DefaultAPITimeout bounds each request to the DigitalOcean API.
const DefaultAPITimeout = 30 * time.Second

// Config configures the controller.
type Config struct {
	// Namespace is the controller's own namespace: credential records,
	// the leader-election Lease.
	Namespace string
	// APIURL and RevokeURL override the DigitalOcean API and the token
	// revocation endpoint ("" for the defaults).
	APIURL, RevokeURL string
	// RegistryHost is the registry host the pull Secrets name.
	RegistryHost string
	// LeaderElection makes the replicas elect one leader on a Lease.
	LeaderElection bool
	// MetricsAddr and ProbeAddr are where metrics and the health probes
	// are served ("0" turns either off).
	MetricsAddr, ProbeAddr string
	// APITimeout bounds each API request (default DefaultAPITimeout).
	APITimeout time.Duration
	// Logger receives the structured logs.
	Logger logr.Logger

	// Clock drives renewals, revocations and backoff, and the work
	// queue's delays (default: the real clock). Tests step it.
	Clock clock.WithTicker
	// Transport is the base HTTP transport for API requests (default
	// http.DefaultTransport).
	Transport http.RoundTripper
	// SkipNameValidation lets tests run several managers in one process.
	SkipNameValidation bool
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election
	// (0: controller-runtime's defaults, 15s, 10s, 2s).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration

	backoff backoffPolicy
}

// NewScheme returns the scheme the controller uses.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := docrv1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// NewManager returns a manager running the PullSecret controller against
// the cluster of restConfig. Start it with Start(ctx).
func NewManager(restConfig *rest.Config, cfg Config) (manager.Manager, error) {
	if cfg.Namespace == "" || cfg.RegistryHost == "" {
		return nil, errors.New("docr-controller: Config needs Namespace and RegistryHost")
	}
	if cfg.APITimeout <= 0 {
		cfg.APITimeout = DefaultAPITimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	cfg.backoff = cfg.backoff.withDefaults()
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	registerMetrics()
	rc := rest.CopyConfig(restConfig)
	if rc.QPS == 0 {
		// No client-side throttling (controller-runtime's own default): a
		// fan-out keeps at most fanOutWorkers writes in flight, and the API
		// server's priority and fairness protects it.
		rc.QPS = -1
	}
	managed := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy})
	opts := ctrl.Options{
		Scheme: scheme,
		Logger: cfg.Logger,
		Cache: cache.Options{
			DefaultTransform: cache.TransformStripManagedFields(),
			ByObject: map[client.Object]cache.ByObject{
				// Only the Secrets the controller writes, and those of its
				// own namespace (token Secrets, credential records): never
				// every Secret of the cluster.
				&corev1.Secret{}: {Namespaces: map[string]cache.Config{
					cfg.Namespace:       {},
					cache.AllNamespaces: {LabelSelector: managed},
				}},
			},
		},
		Metrics:                       metricsserver.Options{BindAddress: cfg.MetricsAddr},
		HealthProbeBindAddress:        cfg.ProbeAddr,
		LeaderElection:                cfg.LeaderElection,
		LeaderElectionID:              LeaderElectionID,
		LeaderElectionNamespace:       cfg.Namespace,
		LeaderElectionReleaseOnCancel: true,
	}
	if cfg.LeaseDuration > 0 {
		opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = &cfg.LeaseDuration, &cfg.RenewDeadline, &cfg.RetryPeriod
	}
	if cfg.SkipNameValidation {
		opts.Controller.SkipNameValidation = ptr.To(true)
	}
	mgr, err := ctrl.NewManager(rc, opts)
	if err != nil {
		return nil, fmt.Errorf("docr-controller: %w", err)
	}
	if cfg.ProbeAddr != "0" && cfg.ProbeAddr != "" {
		if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("cache", func(req *http.Request) error {
			if !mgr.GetCache().WaitForCacheSync(req.Context()) {
				return errors.New("cache not synced")
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := addIndexes(context.Background(), mgr); err != nil {
		return nil, err
	}
	r := &Reconciler{
		client:    mgr.GetClient(),
		apiReader: mgr.GetAPIReader(),
		recorder:  mgr.GetEventRecorder("docr-controller"),
		cfg:       cfg,
		clock:     cfg.Clock,
		transport: &countingTransport{base: cfg.Transport, now: cfg.Clock.Now},
		policy:    cfg.backoff,
	}
	if err := r.setup(mgr); err != nil {
		return nil, err
	}
	return mgr, nil
}

func addIndexes(ctx context.Context, mgr manager.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &corev1.Secret{}, indexOwner, func(o client.Object) []string {
		s := o.(*corev1.Secret)
		if name := s.Annotations[AnnotationPullSecret]; name != "" && s.Labels[LabelComponent] != ComponentRecord {
			return []string{name}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &corev1.ServiceAccount{}, indexSAOwner, func(o client.Object) []string {
		var owners []string
		for _, owner := range saEntries(o.(*corev1.ServiceAccount)) {
			owners = append(owners, owner)
		}
		return owners
	}); err != nil {
		return err
	}
	return idx.IndexField(ctx, &docrv1.PullSecret{}, indexToken, func(o client.Object) []string {
		ref := o.(*docrv1.PullSecret).Spec.TokenSecretRef
		return []string{ref.Namespace + "/" + ref.Name}
	})
}

// setup registers the controller and what it watches.
func (r *Reconciler) setup(mgr manager.Manager) error {
	all := func(ctx context.Context, _ client.Object) []reconcile.Request {
		var list docrv1.PullSecretList
		if err := r.client.List(ctx, &list); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for _, ps := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: ps.Name}})
		}
		return reqs
	}
	secretOwner := func(ctx context.Context, o client.Object) []reconcile.Request {
		s := o.(*corev1.Secret)
		if name := s.Annotations[AnnotationPullSecret]; name != "" && s.Labels[LabelComponent] != ComponentRecord {
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: name}}}
		}
		if s.Namespace != r.cfg.Namespace || s.Labels[LabelComponent] == ComponentRecord {
			return nil
		}
		// A token Secret of the controller's namespace.
		var list docrv1.PullSecretList
		if err := r.client.List(ctx, &list, client.MatchingFields{indexToken: s.Namespace + "/" + s.Name}); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for _, ps := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: ps.Name}})
		}
		return reqs
	}
	// A credential record seen at start-up (or created) whose PullSecret is
	// gone is cleaned up by the reconciler's not-found path.
	recordOwner := handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: func(_ context.Context, e event.TypedCreateEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if s, ok := e.Object.(*corev1.Secret); ok && s.Labels[LabelComponent] == ComponentRecord && s.Namespace == r.cfg.Namespace {
				if name := s.Annotations[AnnotationRecordOf]; name != "" {
					q.Add(reconcile.Request{NamespacedName: types.NamespacedName{Name: name}})
				}
			}
		},
	}
	nsChanged := predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !labels.Equals(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels()) ||
				e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero()
		},
	}
	saChanged := predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld.(*corev1.ServiceAccount), e.ObjectNew.(*corev1.ServiceAccount)
			return o.Annotations[AnnotationServiceAccount] != n.Annotations[AnnotationServiceAccount] ||
				fmt.Sprint(o.ImagePullSecrets) != fmt.Sprint(n.ImagePullSecrets)
		},
		DeleteFunc: func(event.DeleteEvent) bool { return false },
	}
	clk := r.cfg.Clock
	return builder.ControllerManagedBy(mgr).
		Named("pullsecret").
		For(&docrv1.PullSecret{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(all), builder.WithPredicates(nsChanged)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(secretOwner)).
		Watches(&corev1.Secret{}, recordOwner).
		Watches(&corev1.ServiceAccount{}, handler.EnqueueRequestsFromMapFunc(all), builder.WithPredicates(saChanged)).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: 2,
			NewQueue: func(name string, rl workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
				return workqueue.NewTypedRateLimitingQueueWithConfig(rl, workqueue.TypedRateLimitingQueueConfig[reconcile.Request]{Name: name, Clock: clk})
			},
		}).
		Complete(r)
}
