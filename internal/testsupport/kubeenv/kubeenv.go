// Package kubeenv starts a real kube-apiserver and etcd (controller-runtime's
// envtest) for docr-controller's tests and benchmarks, installs deploy/ into
// it (the CRD, the namespace, the service account and the RBAC), and gives a
// client config that authenticates as the controller's service account, so
// that the controller under test holds exactly the permissions deploy/
// grants it.
//
// The two binaries are built from their Go modules by make kubeassets
// (internal/testsupport/kubeassets/build.sh) into a version-keyed folder
// outside the repository, once per machine. [AssetsDir] finds that folder:
// $KUBEBUILDER_ASSETS, else the build script's cache. When they are absent,
// [Require] skips the test with a message naming make kubeassets, unless
// $DOCR_REQUIRE_ENVTEST is 1 (make test sets it), which fails it instead.
package kubeenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
)

// Environment variables.
const (
	// EnvAssets names the folder holding kube-apiserver and etcd (as for
	// envtest).
	EnvAssets = "KUBEBUILDER_ASSETS"
	// EnvRequire, set to 1, makes a missing kube-apiserver or etcd fail the
	// tests instead of skipping them. make test sets it.
	EnvRequire = "DOCR_REQUIRE_ENVTEST"
	// EnvCache is the build script's cache folder (see build.sh).
	EnvCache = "DOCR_KUBEASSETS_CACHE"
)

// ControllerUser is the user name of the controller's service account in
// deploy/ (namespace docr-system, name docr-controller).
const ControllerUser = "system:serviceaccount:docr-system:docr-controller"

// ErrNoAssets is returned when kube-apiserver and etcd are not built.
var ErrNoAssets = errors.New("kube-apiserver and etcd are not built: run make kubeassets (once per machine; about 10-20 minutes of CPU, see README.md)")

// ModuleRoot returns the root of the docr module, found from the working
// directory upwards (go test runs in the package's folder).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/docr-dev/docr\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("kubeenv: the docr module root is not above the working directory")
		}
		dir = parent
	}
}

// AssetsDir returns the folder that holds kube-apiserver and etcd:
// $KUBEBUILDER_ASSETS when set, else the folder build.sh builds them into
// for the versions its go.mod names. It returns an error wrapping
// [ErrNoAssets] when the binaries are not there.
func AssetsDir(root string) (string, error) {
	if dir := os.Getenv(EnvAssets); dir != "" {
		if !hasBinaries(dir) {
			return "", fmt.Errorf("%w ($%s=%s holds no kube-apiserver and etcd)", ErrNoAssets, EnvAssets, dir)
		}
		return dir, nil
	}
	k8s, etcd, err := assetVersions(filepath.Join(root, "internal", "testsupport", "kubeassets", "go.mod"))
	if err != nil {
		return "", err
	}
	parent := os.Getenv(EnvCache)
	if parent == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("%w (no home directory: %v)", ErrNoAssets, err)
			}
			base = filepath.Join(home, ".cache")
		}
		parent = filepath.Join(base, "docr-testtools", "kubeassets")
	}
	// build.sh names the folder k8s-<k8s>-etcd-<etcd>-<go>-<hash of its
	// inputs>; any build of these versions will do for the tests.
	matches, _ := filepath.Glob(filepath.Join(parent, "k8s-"+k8s+"-etcd-"+etcd+"-*"))
	slices.Sort(matches)
	for i := len(matches) - 1; i >= 0; i-- {
		if hasBinaries(matches[i]) {
			return matches[i], nil
		}
	}
	return "", fmt.Errorf("%w (looked for k8s-%s-etcd-%s-* in %s)", ErrNoAssets, k8s, etcd, parent)
}

func hasBinaries(dir string) bool {
	for _, name := range []string{"kube-apiserver", "etcd"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// assetVersions reads the required versions of k8s.io/kubernetes and
// go.etcd.io/etcd/server/v3 from the kubeassets module's go.mod.
func assetVersions(gomod string) (k8s, etcd string, err error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", "", fmt.Errorf("kubeenv: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 {
			if f[0] == "require" && len(f) >= 3 {
				f = f[1:]
			}
			switch f[0] {
			case "k8s.io/kubernetes":
				k8s = f[1]
			case "go.etcd.io/etcd/server/v3":
				etcd = f[1]
			}
		}
	}
	if k8s == "" || etcd == "" {
		return "", "", fmt.Errorf("kubeenv: %s requires no k8s.io/kubernetes or go.etcd.io/etcd/server/v3", gomod)
	}
	return k8s, etcd, nil
}

// Require skips tb when err says the binaries are missing (failing it
// instead when $DOCR_REQUIRE_ENVTEST is 1) and fails it on any other error.
func Require(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case err == nil:
	case errors.Is(err, ErrNoAssets) && os.Getenv(EnvRequire) != "1":
		tb.Skipf("skipped: %v", err)
	default:
		tb.Fatalf("kubeenv: %v", err)
	}
}

// Env is a running kube-apiserver and etcd with deploy/ installed.
type Env struct {
	// Admin is a config with every permission (system:masters).
	Admin *rest.Config
	// Controller authenticates as the controller's service account in
	// deploy/, with exactly the RBAC deploy/ grants it.
	Controller *rest.Config
	// ControllerKubeconfig is Controller as a kubeconfig file's content,
	// for the controller run as a program.
	ControllerKubeconfig []byte
	// Client is an admin client whose scheme knows docr.dev/v1alpha1.
	Client client.Client
	// Scheme knows the built-in types, CRDs and docr.dev/v1alpha1.
	Scheme *runtime.Scheme
	// Deploy are the objects of deploy/, in kustomization.yaml's order.
	Deploy []*unstructured.Unstructured

	env *envtest.Environment
}

// Scheme returns a scheme with the built-in types, CRDs and docr.dev/v1alpha1.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := docrv1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts kube-apiserver and etcd from [AssetsDir], installs the CRD
// and applies the other objects of deploy/ except the Deployment (no pods
// run here).
func Start(ctx context.Context, root string) (*Env, error) {
	assets, err := AssetsDir(root)
	if err != nil {
		return nil, err
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	objs, err := LoadDeploy(filepath.Join(root, "deploy"))
	if err != nil {
		return nil, err
	}
	te := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: []string{filepath.Join(root, "deploy", "crd.yaml")}, ErrorIfPathMissing: true},
		Scheme:                scheme,
	}
	admin, err := te.Start()
	if err != nil {
		return nil, fmt.Errorf("kubeenv: start kube-apiserver and etcd from %s: %w", assets, err)
	}
	e := &Env{Admin: admin, Scheme: scheme, Deploy: objs, env: te}
	fail := func(err error) (*Env, error) {
		_ = te.Stop()
		return nil, err
	}
	if e.Client, err = client.New(admin, client.Options{Scheme: scheme}); err != nil {
		return fail(fmt.Errorf("kubeenv: %w", err))
	}
	for _, o := range objs {
		if o.GetKind() == "Deployment" || o.GetKind() == "CustomResourceDefinition" {
			continue
		}
		if err := Apply(ctx, e.Client, o, false); err != nil {
			return fail(err)
		}
	}
	user, err := te.AddUser(envtest.User{
		Name:   ControllerUser,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:docr-system", "system:authenticated"},
	}, nil)
	if err != nil {
		return fail(fmt.Errorf("kubeenv: %w", err))
	}
	e.Controller = user.Config()
	if e.ControllerKubeconfig, err = user.KubeConfig(); err != nil {
		return fail(fmt.Errorf("kubeenv: %w", err))
	}
	return e, nil
}

// Stop stops kube-apiserver and etcd.
func (e *Env) Stop() error { return e.env.Stop() }

// Apply applies obj with server-side apply (field manager docr-tests),
// as a dry run (dryRun=All) when dryRun is set.
func Apply(ctx context.Context, c client.Client, obj *unstructured.Unstructured, dryRun bool) error {
	opts := []client.ApplyOption{client.FieldOwner("docr-tests"), client.ForceOwnership}
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	o := obj.DeepCopy()
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), opts...); err != nil {
		return fmt.Errorf("kubeenv: apply %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// kustomization is the part of kustomization.yaml that LoadDeploy reads.
type kustomization struct {
	Resources []string `json:"resources"`
}

// LoadDeploy reads the objects of the kustomize base in dir: every
// document of every file its kustomization.yaml lists under resources (the
// base uses no patches or generators).
func LoadDeploy(dir string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, fmt.Errorf("kubeenv: %w", err)
	}
	var k kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("kubeenv: %s/kustomization.yaml: %w", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, res := range k.Resources {
		f, err := os.Open(filepath.Join(dir, res))
		if err != nil {
			return nil, fmt.Errorf("kubeenv: %w", err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
		for {
			var u unstructured.Unstructured
			if err := dec.Decode(&u.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				f.Close()
				return nil, fmt.Errorf("kubeenv: %s: %w", res, err)
			}
			if len(u.Object) > 0 {
				objs = append(objs, &u)
			}
		}
		f.Close()
	}
	return objs, nil
}
