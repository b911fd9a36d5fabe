package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// datadogFakeKey builds n random hex characters (32 for an API key, 40 for
// an application key).
func datadogFakeKey(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestDatadogAPIKey(t *testing.T) {
	t.Parallel()
	for _, rule := range []string{"datadog-api-key", "datadog-api-key-file-write", "datadog-agent-config-key"} {
		t.Run(rule, func(t *testing.T) {
			t.Parallel()
			key := datadogFakeKey(32)
			cases := append([]providerCase{
				{name: "live", reply: answer{body: `{"valid":true}`}, want: leak.Live, identity: "Datadog API key (site 127.0.0.1"},
				{name: "revoked", reply: answer{status: 403, body: `{"errors":["Forbidden"]}`}, want: leak.Dead, reason: "another Datadog site"},
				{name: "valid false", reply: answer{body: `{"valid":false}`}, want: leak.Unknown},
				{name: "401 is not dead", reply: answer{status: 401, body: `{"errors":["Unauthorized"]}`}, want: leak.Unknown, reason: "401"},
				{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
				{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
			}, standardFaults...)
			runProviderCases(t, newDatadog, testFinding(rule, key), nil, cases, func(t *testing.T, r *http.Request, _ string) {
				if r.Method != http.MethodGet || r.URL.Path != "/api/v1/validate" || r.Header.Get("DD-API-KEY") != key ||
					r.Header.Get("DD-APPLICATION-KEY") != "" || r.Header.Get("Authorization") != "" {
					t.Errorf("request %s %s api key %q", r.Method, r.URL.Path, r.Header.Get("DD-API-KEY"))
				}
			})
		})
	}
}

func TestDatadogAppKeyPaired(t *testing.T) {
	t.Parallel()
	api, app := datadogFakeKey(32), datadogFakeKey(40)
	appF, apiF := testFinding("datadog-app-key", app), testFinding("datadog-api-key", api)
	apiF.Origin.Line, apiF.Offset = 2, 40
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"data":[{"type":"users","id":"00000000-0000-0000-0000-000000000001","attributes":{"name":"Ops","handle":"ops@example.com","email":"ops@example.com","status":"Active","disabled":false},"relationships":{"org":{"data":{"type":"orgs","id":"00000000-0000-0000-0000-0000000000aa"}}}}],"included":[{"type":"orgs","id":"00000000-0000-0000-0000-0000000000aa","attributes":{"name":"Acme","public_id":"abcdef"}}],"meta":{"page":{"total_count":12,"total_filtered_count":12}}}`},
			want: leak.Live, identity: "Datadog application key, with the API key found near it (site 127.0.0.1"},
		// The fake answers 403 to both calls: the API key alone is refused too.
		{name: "pair refused", reply: answer{status: 403, body: `{"errors":["Forbidden"]}`}, want: leak.Unknown, reason: "API key found near"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "no data", reply: answer{body: `{"errors":[]}`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newDatadog, appF, []leak.Finding{apiF}, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.Header.Get("DD-API-KEY") != api {
			t.Errorf("request %s %s api key %q", r.Method, r.URL.Path, r.Header.Get("DD-API-KEY"))
		}
		switch r.URL.Path {
		case "/api/v2/users":
			if r.Header.Get("DD-APPLICATION-KEY") != app || r.URL.Query().Get("page[size]") != "1" {
				t.Errorf("users request app key %q query %q", r.Header.Get("DD-APPLICATION-KEY"), r.URL.RawQuery)
			}
		case "/api/v1/validate":
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	})
}

// A 403 for the pair while the API key alone is valid: the application key
// is refused or lacks a permission; unknown, never dead.
func TestDatadogAppKeyRefusedWithValidAPIKey(t *testing.T) {
	t.Parallel()
	api, app := datadogFakeKey(32), datadogFakeKey(40)
	fake := newFakeProvider(t, func(r *http.Request) answer {
		if r.URL.Path == "/api/v1/validate" {
			return answer{body: `{"valid":true}`}
		}
		return answer{status: 403, body: `{"errors":["Forbidden"]}`}
	})
	v := newDatadog((&Options{}).withFake(fake.URL))
	// Either orientation: the verifier tells the parts apart by length.
	for _, c := range []Credential{
		{Rule: "datadog-app-key", Secret: leak.NewSecret(app), CompanionRule: "datadog-api-key", Companion: leak.NewSecret(api)},
		{Rule: "datadog-api-key", Secret: leak.NewSecret(api), CompanionRule: "datadog-app-key", Companion: leak.NewSecret(app)},
	} {
		res := v.Verify(context.Background(), c)
		if res.Status != leak.Unknown || !strings.Contains(res.Reason, "user_access_read") {
			t.Errorf("result %+v", res)
		}
	}
}

func TestDatadogUnpaired(t *testing.T) {
	t.Parallel()
	v := newDatadog(&Options{})
	res := v.Verify(context.Background(), Credential{Rule: "datadog-agent-config-key", Secret: leak.NewSecret(datadogFakeKey(40))})
	if res.Status != leak.Unknown || !strings.Contains(res.Reason, "only be checked with an API key") {
		t.Errorf("result %+v", res)
	}
	p := v.(Paired)
	if got := p.Companions("datadog-app-key"); len(got) != 3 {
		t.Errorf("companions %v", got)
	}
	if got := p.Companions("datadog-api-key"); got != nil {
		t.Errorf("api key companions %v", got)
	}
}

// An app key with no API key nearby is unknown without any call (the
// Checker says so).
func TestDatadogAppKeyAlone(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{body: `{"valid":true}`} })
	c := &Checker{Registry: NewRegistryOf(newDatadog((&Options{}).withFake(fake.URL)))}
	fs := []leak.Finding{testFinding("datadog-app-key", datadogFakeKey(40))}
	c.Verify(context.Background(), fs)
	if fs[0].Status != leak.Unknown || len(fake.requests) != 0 {
		t.Errorf("status %s (%s), %d requests", fs[0].Status, fs[0].StatusReason, len(fake.requests))
	}
}

func TestDatadogSite(t *testing.T) {
	t.Parallel()
	env := func(site string) func(string) string {
		return func(k string) string {
			if k == "DD_SITE" {
				return site
			}
			return ""
		}
	}
	for _, tc := range []struct{ site, want string }{
		{"", "https://api.datadoghq.com"},
		{"datadoghq.eu", "https://api.datadoghq.eu"},
		{"us5.datadoghq.com", "https://api.us5.datadoghq.com"},
		{"ddog-gov.com", "https://api.ddog-gov.com"},
		{"evil.example", "https://api.datadoghq.com"},
		{"datadoghq.com.evil.example", "https://api.datadoghq.com"},
	} {
		if got := newDatadog(&Options{Getenv: env(tc.site)}).(*datadogVerifier).base; got != tc.want {
			t.Errorf("DD_SITE=%q: base %q, want %q", tc.site, got, tc.want)
		}
	}
	o := &Options{Getenv: env("datadoghq.eu"), Endpoints: map[string]string{"datadog": "https://dd.proxy.example/"}}
	if got := newDatadog(o).(*datadogVerifier).base; got != "https://dd.proxy.example" {
		t.Errorf("configured endpoint ignored: %q", got)
	}
}

// With no site chosen, an API key the default site refuses is tried at
// the other public sites: live at the one that accepts it, dead only when
// every site refuses it.
func TestDatadogOtherSites(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("ab12", 8)
	refuse := newFakeProvider(t, func(*http.Request) answer { return answer{status: 403, body: `{"errors":["Forbidden"]}`} })
	accept := newFakeProvider(t, func(*http.Request) answer { return answer{body: `{"valid":true}`} })
	for _, tc := range []struct {
		name   string
		others []string
		want   leak.Status
		site   string
	}{
		{"found at another site", []string{refuse.URL, accept.URL}, leak.Live, strings.TrimPrefix(accept.URL, "http://")},
		{"refused everywhere", []string{refuse.URL, refuse.URL}, leak.Dead, ""},
	} {
		v := &datadogVerifier{client: (&Options{}).HTTPClient(), base: refuse.URL, site: "default", others: tc.others}
		res := v.Verify(context.Background(), Credential{Rule: "datadog-api-key", Secret: leak.NewSecret(key)})
		if res.Status != tc.want || !strings.Contains(res.Identity, tc.site) {
			t.Errorf("%s: %+v", tc.name, res)
		}
	}
	if o := (&Options{}); len(newDatadog(o).(*datadogVerifier).others) == 0 {
		t.Error("no site chosen, but the other sites are not tried")
	}
	o := &Options{Getenv: func(k string) string { return map[string]string{"DD_SITE": "datadoghq.eu"}[k] }}
	if v := newDatadog(o).(*datadogVerifier); len(v.others) != 0 || v.base != "https://api.datadoghq.eu" {
		t.Errorf("DD_SITE: base %s, others %v", v.base, v.others)
	}
}
