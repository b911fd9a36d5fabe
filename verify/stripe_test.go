package verify

import (
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func TestStripe(t *testing.T) {
	t.Parallel()
	key := "sk_" + "live_" + verifyBFake(verifyBAlnum, 99)
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"id":"acct_1Nv0FGQ9RKHgCVdK","object":"account","business_profile":{"name":"Acme Widgets","url":"https://acme.example"},"charges_enabled":true,"country":"US","default_currency":"usd","email":"ops@acme.example","settings":{"dashboard":{"display_name":"Acme","timezone":"Etc/UTC"}},"type":"standard"}`},
			want: leak.Live, identity: "Stripe account acct_1Nv0FGQ9RKHgCVdK (Acme), live secret key"},
		{name: "live without names", reply: answer{body: `{"id":"acct_1Nv0FGQ9RKHgCVdK","object":"account","settings":{"dashboard":{}}}`},
			want: leak.Live, identity: "Stripe account acct_1Nv0FGQ9RKHgCVdK, live secret key"},
		{name: "restricted", reply: answer{status: 403, body: `{"error":{"message":"The provided key 'rk_live_***' does not have the required permissions for this endpoint on account 'acct_1Nv0FGQ9RKHgCVdK'.","type":"invalid_request_error"}}`},
			want: leak.Live, identity: "restricted"},
		{name: "invalid", reply: answer{status: 401, body: `{"error":{"message":"Invalid API Key provided: sk_live_********abcd","type":"invalid_request_error"}}`}, want: leak.Dead},
		{name: "expired", reply: answer{status: 401, body: `{"error":{"code":"api_key_expired","message":"Expired API Key provided: sk_live_********abcd","type":"invalid_request_error"}}`}, want: leak.Dead},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "not an account", reply: answer{body: `{"object":"balance","livemode":true}`}, want: leak.Unknown},
		{name: "bad request", reply: answer{status: 400, body: `{"error":{"type":"invalid_request_error"}}`}, want: leak.Unknown, reason: "400"},
	}, standardFaults...)
	runProviderCases(t, newStripe, testFinding("stripe-secret-key", key), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/account" || r.Header.Get("Authorization") != "Bearer "+key {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
}

func TestStripeKeyKind(t *testing.T) {
	t.Parallel()
	for prefix, want := range map[string]string{
		"sk_" + "live_": "live secret key",
		"rk_" + "live_": "live restricted key",
		"sk_" + "test_": "test-mode secret key",
		"rk_" + "test_": "test-mode restricted key",
	} {
		if got := stripeKeyKind(prefix + verifyBFake(verifyBAlnum, 24)); got != want {
			t.Errorf("%s: %q, want %q", prefix, got, want)
		}
	}
}
