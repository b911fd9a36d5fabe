package verify

import (
	"context"
	"encoding/json"
	"net/http"
)

func init() { register("doppler", newDoppler) }

// dopplerVerifier asks Doppler what a token is: GET <base>/v3/me with
// Authorization: Bearer (PROVIDERS.md §15). 200 with token info
// {name, type, workplace{name}} is live, the identity naming the token
// type, its name and its workplace; 401 is dead; anything else is unknown.
// The answer's token_preview (part of the token) is never shown.
//
// It checks personal (dp.pt.), service (dp.st.), CLI (dp.ct.) and service
// account (dp.sa.) tokens. SCIM (dp.scim.) and audit (dp.audit.) tokens
// are not checked: whether /v3/me accepts them is not known, and a 401 for
// a token /v3/me does not serve would be a false "dead".
//
// UNCONFIRMED: the 401 body ({"messages":[...],"success":false}) and that
// a 403 never means an invalid token (treated as unknown); covered by
// fake-server tests.
//
// The base URL is https://api.doppler.com, or [verify.endpoints] doppler,
// or DOPPLER_API_HOST (the Doppler CLI's API host setting).
type dopplerVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*dopplerVerifier)(nil)

func newDoppler(o *Options) Verifier {
	return &dopplerVerifier{client: o.HTTPClient(), base: o.Endpoint("doppler", "https://api.doppler.com", "DOPPLER_API_HOST")}
}

func (*dopplerVerifier) Provider() string { return "doppler" }
func (*dopplerVerifier) Rules() []string {
	return []string{"doppler-personal-token", "doppler-service-token", "doppler-cli-token", "doppler-service-account-token"}
}

func (v *dopplerVerifier) Verify(ctx context.Context, c Credential) Result {
	resp, fail := Get(ctx, v.client, v.base+"/v3/me", "Authorization", "Bearer "+c.Secret.Reveal(), "Accept", "application/json")
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var me struct {
			Name      string `json:"name"`
			Type      string `json:"type"`
			Workplace struct {
				Name string `json:"name"`
			} `json:"workplace"`
		}
		if err := json.Unmarshal(resp.Body, &me); err != nil || (me.Type == "" && me.Workplace.Name == "") {
			return Unknown("Doppler answered 200 without token information")
		}
		id := "Doppler"
		if me.Type != "" {
			id += " " + me.Type
		}
		id += " token"
		if me.Name != "" {
			id += " " + me.Name
		}
		if me.Workplace.Name != "" {
			id += " in workplace " + me.Workplace.Name
		}
		return Live(id)
	case http.StatusUnauthorized:
		return Dead("Doppler rejected the token (HTTP 401)")
	}
	return Unexpected(resp)
}
