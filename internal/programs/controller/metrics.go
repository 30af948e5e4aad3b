package controller

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The controller's metrics, registered once per process in
// controller-runtime's registry (served on --metrics-bind-address).
var (
	metricExpiry = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "docr_credential_expiry_timestamp_seconds",
		Help: "When the current credential of a PullSecret expires, in Unix seconds.",
	}, []string{"pullsecret"})
	metricMints = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docr_credential_mints_total",
		Help: "Credentials minted for a PullSecret.",
	}, []string{"pullsecret"})
	metricRevocations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docr_credential_revocations_total",
		Help: "Revocations of replaced credentials by result: success, error, or expired (dropped unrevoked once expired).",
	}, []string{"pullsecret", "result"})
	metricManaged = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "docr_managed_secrets",
		Help: "Namespaces whose managed Secret holds the current credential of a PullSecret.",
	}, []string{"pullsecret"})
	metricAPIRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docr_api_requests_total",
		Help: "Requests to the DigitalOcean API and its token revocation endpoint, by HTTP status code (\"error\" when no response came).",
	}, []string{"code"})

	registerOnce sync.Once
)

func registerMetrics() {
	registerOnce.Do(func() {
		ctrlmetrics.Registry.MustRegister(metricExpiry, metricMints, metricRevocations, metricManaged, metricAPIRequests)
	})
}

// forgetMetrics drops the series of a deleted PullSecret.
func forgetMetrics(name string) {
	metricExpiry.DeleteLabelValues(name)
	metricMints.DeleteLabelValues(name)
	metricManaged.DeleteLabelValues(name)
	metricRevocations.DeletePartialMatch(prometheus.Labels{"pullsecret": name})
}

// countingTransport counts every request in docr_api_requests_total. It is the base transport under the facade's
// auth layer, so it never sees or logs the token.
type countingTransport struct {
	base http.RoundTripper
	now  func() time.Time
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		metricAPIRequests.WithLabelValues("error").Inc()
		return resp, err
	}
	metricAPIRequests.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
	return resp, nil
}
