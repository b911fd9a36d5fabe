package verify

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// vaultTestToken is a random hvs. service token (95+ characters).
func vaultTestToken() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
	b := make([]byte, 92)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return "hvs.CAES" + string(b)
}

// vaultLookupSelf is a GET /v1/auth/token/lookup-self answer
// (vault:api-docs/auth/token.mdx); it echoes the token id, as Vault does.
func vaultLookupSelf(tok, name, policies, expire string) string {
	return `{"request_id":"4f2c3b7e-5d1a-4c86-9c3e-1f0b8a2d6e71","lease_id":"","renewable":false,"lease_duration":0,
"data":{"accessor":"8609694a-cdbc-db9b-d345-e782dbb562ed","creation_time":1767225600,"creation_ttl":2764800,
"display_name":"` + name + `","entity_id":"7d2e3179-f69b-450c-7179-ac8ee8bd8ca9","expire_time":` + expire + `,
"explicit_max_ttl":0,"id":"` + tok + `","identity_policies":[],"issue_time":"2026-01-01T00:00:00.000000Z",
"meta":{"org":"acme"},"num_uses":0,"orphan":false,"path":"auth/github/login","policies":` + policies + `,
"renewable":true,"ttl":2700000,"type":"service"},"wrap_info":null,"warnings":null,"auth":null}`
}

func vaultErrors(status int, msgs string) answer {
	return answer{status: status, header: map[string]string{"Content-Type": "application/json"}, body: `{"errors":[` + msgs + `]}`}
}

func vaultRequestCheck(tok, namespace string) func(t *testing.T, r *http.Request, _ string) {
	return func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/auth/token/lookup-self" || r.URL.RawQuery != "" {
			t.Errorf("request %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
		}
		if r.Header.Get("X-Vault-Token") != tok || r.Header.Get("Authorization") != "" {
			t.Errorf("X-Vault-Token %q, Authorization %q", r.Header.Get("X-Vault-Token"), r.Header.Get("Authorization"))
		}
		if r.Header.Get("X-Vault-Request") != "true" {
			t.Errorf("X-Vault-Request %q", r.Header.Get("X-Vault-Request"))
		}
		if got := r.Header.Get("X-Vault-Namespace"); got != namespace {
			t.Errorf("X-Vault-Namespace %q, want %q", got, namespace)
		}
	}
}

func TestVault(t *testing.T) {
	t.Parallel()
	tok := vaultTestToken()
	cases := append([]providerCase{
		{name: "live", reply: answer{body: vaultLookupSelf(tok, "github-alice", `["default","deploy"]`, `"2026-03-01T12:00:00.123456Z"`)},
			want: leak.Live, identity: "Vault token github-alice, policies [default deploy], expires 2026-03-01T12:00:00Z"},
		{name: "root token", reply: answer{body: vaultLookupSelf(tok, "root", `["root"]`, `null`)},
			want: leak.Live, identity: "Vault token root, policies [root], no expiry"},
		{name: "bad token", reply: vaultErrors(403, `"permission denied"`), want: leak.Dead, reason: "permission denied"},
		{name: "sealed", reply: vaultErrors(503, `"Vault is sealed"`), want: leak.Unknown, reason: "sealed"},
		{name: "standby", reply: vaultErrors(429, ``), want: leak.Unknown, reason: "429"},
		{name: "consistency", reply: vaultErrors(412, `"required index state not present"`), want: leak.Unknown, reason: "412"},
		{name: "bad path", reply: vaultErrors(404, ``), want: leak.Unknown, reason: "404"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown, reason: "unreadable"},
		{name: "no data", reply: answer{body: `{"request_id":"x","data":null}`}, want: leak.Unknown},
		{name: "empty", reply: answer{status: 204}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newVault, testFinding("vault-service-token", tok), nil, cases, vaultRequestCheck(tok, ""))
}

func TestVaultNamespace(t *testing.T) {
	t.Parallel()
	tok := "s." + vaultTestToken()[8:32]
	build := func(o *Options) Verifier {
		o.Getenv = func(k string) string {
			if k == "VAULT_NAMESPACE" {
				return "team-a/"
			}
			return ""
		}
		return newVault(o)
	}
	runProviderCases(t, build, testFinding("vault-legacy-token", tok), nil, []providerCase{
		{name: "live", reply: answer{body: vaultLookupSelf(tok, "token", `["default"]`, `null`)}, want: leak.Live, identity: "Vault token token"},
	}, vaultRequestCheck(tok, "team-a/"))
}

// countingTransport fails the test on any request.
type countingTransport struct{ t *testing.T }

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.t.Errorf("a request was made to %s", r.URL.Host)
	return nil, http.ErrNotSupported
}

// TestVaultNoAddress: without an address there is no call, even when the
// process environment (not Options.Getenv) has VAULT_ADDR.
func TestVaultNoAddress(t *testing.T) {
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	v := newVault(&Options{Client: &http.Client{Transport: countingTransport{t}}, Getenv: func(string) string { return "" }})
	c := &Checker{Registry: NewRegistryOf(v)}
	fs := []leak.Finding{testFinding("vault-batch-token", "hvb."+vaultTestToken()[4:]+vaultTestToken()[4:])}
	st := c.Verify(context.Background(), fs)
	if fs[0].Status != leak.Unknown || fs[0].StatusReason != vaultNoAddress {
		t.Errorf("%s (%s)", fs[0].Status, fs[0].StatusReason)
	}
	if st.Calls != 1 {
		t.Errorf("%d verifier calls", st.Calls)
	}
}

// TestVaultIgnoresProcessEnv: the Vault client reads VAULT_* variables by
// itself; none of them may add the operator's token, namespace or headers,
// send the token elsewhere, or retry.
func TestVaultIgnoresProcessEnv(t *testing.T) {
	other := newFakeProvider(t, func(*http.Request) answer { return answer{} })
	t.Setenv("VAULT_TOKEN", "hvs.operator-own-token")
	t.Setenv("VAULT_NAMESPACE", "operator-ns/")
	t.Setenv("VAULT_AGENT_ADDR", other.URL)
	t.Setenv("VAULT_HEADERS", `{"X-Operator":"yes"}`)
	t.Setenv("VAULT_MAX_RETRIES", "5")
	t.Setenv("VAULT_CLIENT_TIMEOUT", "1ms")
	tok := vaultTestToken()
	fake := newFakeProvider(t, func(*http.Request) answer { return vaultErrors(500, `"internal error"`) })
	v := newVault(&Options{Endpoints: map[string]string{"vault": fake.URL}, Timeout: time.Second})
	r := v.Verify(context.Background(), Credential{Rule: "vault-service-token", Secret: leak.NewSecret(tok)})
	if r.Status != leak.Unknown || !r.Retry || !strings.Contains(r.Reason, "500") {
		t.Errorf("%+v", r)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.requests) != 1 {
		t.Fatalf("%d requests, want 1 (no client-side retries)", len(fake.requests))
	}
	vaultRequestCheck(tok, "")(t, fake.requests[0], "")
	if fake.requests[0].Header.Get("X-Operator") != "" {
		t.Errorf("VAULT_HEADERS were sent")
	}
	other.mu.Lock()
	defer other.mu.Unlock()
	if len(other.requests) != 0 {
		t.Errorf("the token went to VAULT_AGENT_ADDR")
	}
}

// TestVaultRedirect: a redirect to another host is not followed (the
// client would resend the token there).
func TestVaultRedirect(t *testing.T) {
	t.Parallel()
	other := newFakeProvider(t, func(*http.Request) answer { return answer{body: `{"data":{"policies":["x"]}}`} })
	tok := vaultTestToken()
	runProviderCases(t, newVault, testFinding("vault-service-token", tok), nil, []providerCase{
		{name: "307", reply: answer{status: 307, header: map[string]string{"Location": other.URL + "/v1/auth/token/lookup-self"}}, want: leak.Unknown},
	}, vaultRequestCheck(tok, ""))
	other.mu.Lock()
	defer other.mu.Unlock()
	if len(other.requests) != 0 {
		t.Errorf("the token followed a redirect to another host")
	}
}
