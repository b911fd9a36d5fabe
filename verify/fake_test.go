package verify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// answer is what a fake provider replies to one request.
type answer struct {
	status int
	header map[string]string
	body   string
	// hang makes the fake wait until the client gives up (a timeout).
	hang bool
}

// providerCase is one scenario of a verifier test: the fake answers with
// reply, and the verifier must conclude want (and an identity containing
// identity, when set).
type providerCase struct {
	name     string
	reply    answer
	want     leak.Status
	identity string
	// reason, when set, must appear in the result's reason.
	reason string
}

// fakeProvider is an httptest server that records every request.
type fakeProvider struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	reply    func(r *http.Request) answer
}

func newFakeProvider(t *testing.T, reply func(r *http.Request) answer) *fakeProvider {
	t.Helper()
	f := &fakeProvider{reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		if r.Body != nil {
			buf := make([]byte, 1<<16)
			n, _ := r.Body.Read(buf)
			b.Write(buf[:n])
		}
		f.mu.Lock()
		f.requests = append(f.requests, r.Clone(context.Background()))
		f.bodies = append(f.bodies, b.String())
		f.mu.Unlock()
		a := f.reply(r)
		if a.hang {
			<-r.Context().Done()
			return
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.status == 0 {
			a.status = http.StatusOK
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(f.Close)
	return f
}

// standardFaults are the cases every HTTP verifier must get right: a rate
// limit, a server error, a timeout and a body that is not what the
// provider sends are all unknown, never dead.
var standardFaults = []providerCase{
	{name: "rate limited", reply: answer{status: 429, header: map[string]string{"Retry-After": "1"}, body: `{}`}, want: leak.Unknown, reason: "429"},
	{name: "server error", reply: answer{status: 500, body: `oops`}, want: leak.Unknown, reason: "500"},
	{name: "bad gateway", reply: answer{status: 502, body: `<html>`}, want: leak.Unknown, reason: "502"},
	{name: "timeout", reply: answer{hang: true}, want: leak.Unknown, reason: "timed out"},
}

// runProviderCases runs each case against a fresh fake and a verifier
// built by build with the fake's URL as its endpoint, through a Checker
// (so retries, timeouts and scrubbing are the real ones). It checks the
// status, the identity, that every request went to the fake, and that the
// secret appears in no result text. check, when set, inspects each request
// (its path, headers and body) the verifier sent.
func runProviderCases(t *testing.T, build func(o *Options) Verifier, f leak.Finding, companions []leak.Finding,
	cases []providerCase, check func(t *testing.T, r *http.Request, body string)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeProvider(t, func(*http.Request) answer { return tc.reply })
			opts := &Options{Timeout: 300 * time.Millisecond}
			v := build(opts.withFake(fake.URL))
			c := &Checker{Registry: NewRegistryOf(v), Timeout: 300 * time.Millisecond, Attempts: 2,
				Sleep: func(context.Context, time.Duration) error { return nil }}
			fs := append([]leak.Finding{f}, companions...)
			c.Verify(context.Background(), fs)
			got := fs[0]
			if got.Status != tc.want {
				t.Errorf("status %s (%s), want %s", got.Status, got.StatusReason, tc.want)
			}
			if tc.identity != "" && !strings.Contains(got.Identity, tc.identity) {
				t.Errorf("identity %q, want it to contain %q", got.Identity, tc.identity)
			}
			if tc.reason != "" && !strings.Contains(got.StatusReason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", got.StatusReason, tc.reason)
			}
			secrets := []string{f.Secret.Reveal()}
			for _, cf := range companions {
				secrets = append(secrets, cf.Secret.Reveal())
			}
			for _, s := range secrets {
				if strings.Contains(got.Identity+got.StatusReason, s) {
					t.Errorf("the secret appears in the result: %q / %q", got.Identity, got.StatusReason)
				}
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(fake.requests) == 0 {
				t.Fatalf("the verifier never called the provider")
			}
			for i, r := range fake.requests {
				if r.Host != strings.TrimPrefix(fake.URL, "http://") {
					t.Errorf("request went to host %q", r.Host)
				}
				if check != nil {
					check(t, r, fake.bodies[i])
				}
			}
		})
	}
}

// withFake points every provider's endpoint at url.
func (o *Options) withFake(url string) *Options {
	o.Endpoints = map[string]string{}
	for _, p := range Providers() {
		o.Endpoints[p] = url
	}
	o.PrivateHosts = true
	return o
}

// testFinding builds a finding of rule with secret.
func testFinding(rule, secret string) leak.Finding {
	return leak.Finding{RuleID: rule, Secret: leak.NewSecret(secret), Fingerprint: leak.Fingerprint(rule, secret),
		Origin: leak.Origin{Path: "config.env", Line: 1}}
}
