package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

func init() { register("cloudflare", newCloudflare) }

// cloudflareVerifier asks Cloudflare about an API token:
// GET <base>/client/v4/user/tokens/verify with Authorization: Bearer
// (Cloudflare API v4 "Verify Token"; PROVIDERS.md has no section on
// Cloudflare). The answer is Cloudflare's envelope
// {"success":…,"errors":[{"code":…,"message":…}],"result":{"id":…,"status":…}}:
//   - 200, success true, result.status "active": live, identity the token
//     id (an identifier, not the secret) and its expiry when it has one;
//   - 200 with status "disabled" or "expired": dead;
//   - 400, 401 or 403 with success false and error code 1000 ("Invalid
//     API Token"), or a 401 with success false: dead;
//   - anything else: unknown.
//
// Only API tokens are checked. Global API keys (cloudflare-global-api-key)
// need the account's email (X-Auth-Email), which no rule finds, and Origin
// CA keys have no read-only check without a zone; neither is registered.
//
// UNCONFIRMED: the status (400 or 401) Cloudflare uses for an invalid
// token; and that account-owned API tokens, which Cloudflare verifies at
// /accounts/<id>/tokens/verify, are not rejected here with code 1000 (if
// they are, such a token would be reported dead). Covered by fake-server
// tests of the mapping.
type cloudflareVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*cloudflareVerifier)(nil)

func newCloudflare(o *Options) Verifier {
	return &cloudflareVerifier{client: o.HTTPClient(), base: o.Endpoint("cloudflare", "https://api.cloudflare.com")}
}

func (*cloudflareVerifier) Provider() string { return "cloudflare" }
func (*cloudflareVerifier) Rules() []string  { return []string{"cloudflare-api-token"} }

// cloudflareInvalidToken is the error code of "Invalid API Token".
const cloudflareInvalidToken = 1000

func (v *cloudflareVerifier) Verify(ctx context.Context, c Credential) Result {
	resp, fail := Get(ctx, v.client, v.base+"/client/v4/user/tokens/verify", "Authorization", "Bearer "+c.Secret.Reveal())
	if fail != nil {
		return *fail
	}
	var env struct {
		Success *bool `json:"success"`
		Errors  []struct {
			Code int `json:"code"`
		} `json:"errors"`
		Result struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			ExpiresOn string `json:"expires_on"`
		} `json:"result"`
	}
	if err := json.Unmarshal(resp.Body, &env); err != nil || env.Success == nil {
		return Unexpected(resp)
	}
	switch resp.Status {
	case http.StatusOK:
		if !*env.Success {
			break
		}
		switch env.Result.Status {
		case "active":
			id := "Cloudflare API token"
			if env.Result.ID != "" {
				id += " " + env.Result.ID
			}
			id += " (active"
			if env.Result.ExpiresOn != "" {
				id += ", expires " + env.Result.ExpiresOn
			}
			return Live(id + ")")
		case "disabled", "expired":
			return Dead("Cloudflare says the token is " + env.Result.Status)
		}
		return Unknown(fmt.Sprintf("Cloudflare answered token status %q", env.Result.Status))
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		if *env.Success {
			break
		}
		for _, e := range env.Errors {
			if e.Code == cloudflareInvalidToken {
				return Dead(fmt.Sprintf("Cloudflare: invalid API token (code %d, HTTP %d)", e.Code, resp.Status))
			}
		}
		if resp.Status == http.StatusUnauthorized {
			return Dead("Cloudflare rejected the token (HTTP 401)")
		}
	}
	return Unexpected(resp)
}
