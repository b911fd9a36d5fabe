package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

func init() { register("stripe", newStripe) }

// stripeVerifier checks Stripe secret and restricted keys, live and test
// mode (PROVIDERS.md §7), with one read-only call: GET <base>/v1/account
// with Authorization: Bearer (base https://api.stripe.com). /v1/account
// was chosen over /v1/balance because it names the account; which probe is
// best is UNCONFIRMED in PROVIDERS.md.
//
// 200 with an account id is live (identity: account id, display name, and
// the key's mode from its prefix); 403 is live too: a restricted key
// without the permission to read the account; 401 (invalid, deleted or
// expired key) is dead; anything else is unknown.
//
// Test-mode keys (sk_test_, rk_test_) cannot move money but read the
// account's test data; they are checked the same way.
type stripeVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*stripeVerifier)(nil)

func newStripe(o *Options) Verifier {
	return &stripeVerifier{client: o.HTTPClient(), base: o.Endpoint("stripe", "https://api.stripe.com")}
}

func (*stripeVerifier) Provider() string { return "stripe" }
func (*stripeVerifier) Rules() []string {
	return []string{"stripe-secret-key", "stripe-restricted-key", "stripe-test-key"}
}

func (v *stripeVerifier) Verify(ctx context.Context, c Credential) Result {
	key := c.Secret.Reveal()
	resp, fail := Get(ctx, v.client, v.base+"/v1/account", "Authorization", "Bearer "+key)
	if fail != nil {
		return *fail
	}
	kind := stripeKeyKind(key)
	switch resp.Status {
	case http.StatusOK:
		var acct struct {
			ID              string `json:"id"`
			Object          string `json:"object"`
			BusinessProfile struct {
				Name string `json:"name"`
			} `json:"business_profile"`
			Settings struct {
				Dashboard struct {
					DisplayName string `json:"display_name"`
				} `json:"dashboard"`
			} `json:"settings"`
		}
		if err := json.Unmarshal(resp.Body, &acct); err != nil || acct.ID == "" || acct.Object != "account" {
			return Unknown("Stripe answered 200 without an account")
		}
		name := acct.Settings.Dashboard.DisplayName
		if name == "" {
			name = acct.BusinessProfile.Name
		}
		id := "Stripe account " + acct.ID
		if name != "" {
			id += " (" + name + ")"
		}
		return Live(id + ", " + kind)
	case http.StatusForbidden:
		return Live("Stripe " + kind + " (restricted: may not read the account)")
	case http.StatusUnauthorized:
		return Dead("Stripe rejected the key (HTTP 401: invalid, deleted or expired)")
	}
	return Unexpected(resp)
}

// stripeKeyKind names a key's kind and mode from its prefix.
func stripeKeyKind(key string) string {
	kind := "secret"
	if strings.HasPrefix(key, "rk_") {
		kind = "restricted"
	}
	mode := "live"
	if strings.HasPrefix(key, "sk_test_") || strings.HasPrefix(key, "rk_test_") {
		mode = "test-mode"
	}
	return mode + " " + kind + " key"
}
