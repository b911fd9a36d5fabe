package verify

import (
	"context"
	"encoding/json"
	"net/http"
)

func init() { register("digitalocean", newDigitalOcean) }

// digitalOceanVerifier asks DigitalOcean whose account a token opens:
// GET <base>/v2/account with Authorization: Bearer (DigitalOcean API v2;
// PROVIDERS.md has no section on DigitalOcean). 200 with an account email
// is live, the identity being the email, the account status and the team;
// 401 is dead. A 403 whose body has "id":"forbidden" is live: the token
// authenticated but its scopes do not include reading the account
// (custom-scoped tokens). Anything else is unknown.
//
// It checks personal access tokens (dop_v1_) and OAuth access tokens
// (doo_v1_). OAuth refresh tokens (dor_v1_) are not checked: the only way
// to test one is to exchange it, which consumes it.
//
// UNCONFIRMED: the 403 body of a token lacking the account:read scope;
// covered by a fake-server test.
type digitalOceanVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*digitalOceanVerifier)(nil)

func newDigitalOcean(o *Options) Verifier {
	return &digitalOceanVerifier{client: o.HTTPClient(), base: o.Endpoint("digitalocean", "https://api.digitalocean.com")}
}

func (*digitalOceanVerifier) Provider() string { return "digitalocean" }
func (*digitalOceanVerifier) Rules() []string {
	return []string{"digitalocean-pat", "digitalocean-oauth-token"}
}

func (v *digitalOceanVerifier) Verify(ctx context.Context, c Credential) Result {
	resp, fail := Get(ctx, v.client, v.base+"/v2/account", "Authorization", "Bearer "+c.Secret.Reveal())
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var body struct {
			Account struct {
				Email  string `json:"email"`
				Status string `json:"status"`
				Team   struct {
					Name string `json:"name"`
				} `json:"team"`
			} `json:"account"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.Account.Email == "" {
			return Unknown("DigitalOcean answered 200 without an account email")
		}
		a := body.Account
		id := "DigitalOcean account " + a.Email
		if a.Status != "" {
			id += " (" + a.Status + ")"
		}
		if a.Team.Name != "" {
			id += ", team " + a.Team.Name
		}
		return Live(id)
	case http.StatusUnauthorized:
		return Dead("DigitalOcean rejected the token (HTTP 401)")
	case http.StatusForbidden:
		var e struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(resp.Body, &e) == nil && e.ID == "forbidden" {
			return Live("DigitalOcean token (valid, but its scopes do not allow reading the account)")
		}
	}
	return Unexpected(resp)
}
