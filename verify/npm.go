package verify

import (
	"context"
	"encoding/json"
	"net/http"
)

func init() { register("npm", newNPM) }

// npmVerifier asks the npm registry who a token belongs to
// (GET /-/whoami, PROVIDERS.md §13). 200 with a username is live; 401 and
// 403 are dead (the registry answers 401 for unknown and revoked tokens).
type npmVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*npmVerifier)(nil)

func newNPM(o *Options) Verifier {
	return &npmVerifier{client: o.HTTPClient(), base: o.Endpoint("npm", "https://registry.npmjs.org")}
}

func (*npmVerifier) Provider() string { return "npm" }
func (*npmVerifier) Rules() []string  { return []string{"npm-access-token"} }

func (v *npmVerifier) Verify(ctx context.Context, c Credential) Result {
	resp, fail := Get(ctx, v.client, v.base+"/-/whoami", "Authorization", "Bearer "+c.Secret.Reveal())
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var who struct {
			Username string `json:"username"`
		}
		if err := json.Unmarshal(resp.Body, &who); err != nil || who.Username == "" {
			return Unknown("npm answered 200 without a username")
		}
		return Live("npm user " + who.Username)
	case http.StatusUnauthorized, http.StatusForbidden:
		return Dead("npm rejected the token (HTTP " + http.StatusText(resp.Status) + ")")
	}
	return Unexpected(resp)
}
