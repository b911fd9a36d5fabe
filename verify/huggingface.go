package verify

import (
	"context"
	"encoding/json"
	"net/http"
)

func init() { register("huggingface", newHuggingFace) }

// huggingFaceVerifier asks the Hugging Face Hub who a token belongs to:
// GET <base>/api/whoami-v2 with Authorization: Bearer (the call
// huggingface_hub's whoami() makes; PROVIDERS.md has no section on Hugging
// Face). 200 with a name is live, the identity being the user (or
// organization) and the token's role (auth.accessToken.role); 401 is dead;
// anything else is unknown.
//
// UNCONFIRMED: that organization tokens (api_org_) are accepted by
// whoami-v2 and answered with "type":"org"; that 401 is the only status
// for an invalid or revoked token (403 is treated as unknown). Both are
// covered by fake-server tests.
//
// The base URL is https://huggingface.co, or [verify.endpoints]
// huggingface, or HF_ENDPOINT (the variable huggingface_hub reads for
// private Hub deployments).
type huggingFaceVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*huggingFaceVerifier)(nil)

func newHuggingFace(o *Options) Verifier {
	return &huggingFaceVerifier{client: o.HTTPClient(), base: o.Endpoint("huggingface", "https://huggingface.co", "HF_ENDPOINT")}
}

func (*huggingFaceVerifier) Provider() string { return "huggingface" }
func (*huggingFaceVerifier) Rules() []string {
	return []string{"huggingface-access-token", "huggingface-organization-token"}
}

func (v *huggingFaceVerifier) Verify(ctx context.Context, c Credential) Result {
	resp, fail := Get(ctx, v.client, v.base+"/api/whoami-v2", "Authorization", "Bearer "+c.Secret.Reveal())
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var who struct {
			Type string `json:"type"`
			Name string `json:"name"`
			Auth struct {
				AccessToken struct {
					Role string `json:"role"`
				} `json:"accessToken"`
			} `json:"auth"`
		}
		if err := json.Unmarshal(resp.Body, &who); err != nil || who.Name == "" {
			return Unknown("Hugging Face answered 200 without a user name")
		}
		kind := "user"
		if who.Type == "org" {
			kind = "organization"
		}
		id := "Hugging Face " + kind + " " + who.Name
		if r := who.Auth.AccessToken.Role; r != "" {
			id += " (token role " + r + ")"
		}
		return Live(id)
	case http.StatusUnauthorized:
		return Dead("Hugging Face rejected the token (HTTP 401)")
	}
	return Unexpected(resp)
}
