package verify

import (
	"context"
	"encoding/json"
	"net/http"
)

func init() { register("heroku", newHeroku) }

// herokuVerifier asks the Heroku Platform API whose account a key opens:
// GET <base>/account with Authorization: Bearer and
// Accept: application/vnd.heroku+json; version=3 (Platform API v3,
// "Account Info"; PROVIDERS.md has no section on Heroku). 200 with an
// email is live, the identity being the email; 401 is dead (Heroku answers
// {"id":"unauthorized",...}); anything else is unknown. Both the HRKU-
// keys and the legacy UUID keys are sent the same way.
//
// UNCONFIRMED: that a 403 never means an invalid key (it is treated as
// unknown; a suspended account, for instance, could answer 403). Covered
// by a fake-server test.
type herokuVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*herokuVerifier)(nil)

func newHeroku(o *Options) Verifier {
	return &herokuVerifier{client: o.HTTPClient(), base: o.Endpoint("heroku", "https://api.heroku.com")}
}

func (*herokuVerifier) Provider() string { return "heroku" }
func (*herokuVerifier) Rules() []string  { return []string{"heroku-api-key", "heroku-api-key-legacy"} }

func (v *herokuVerifier) Verify(ctx context.Context, c Credential) Result {
	resp, fail := Get(ctx, v.client, v.base+"/account", "Authorization", "Bearer "+c.Secret.Reveal(), "Accept", "application/vnd.heroku+json; version=3")
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var acct struct {
			Email string `json:"email"`
		}
		if err := json.Unmarshal(resp.Body, &acct); err != nil || acct.Email == "" {
			return Unknown("Heroku answered 200 without an account email")
		}
		return Live("Heroku account " + acct.Email)
	case http.StatusUnauthorized:
		return Dead("Heroku rejected the key (HTTP 401)")
	}
	return Unexpected(resp)
}
