package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

func init() { register("anthropic", newAnthropic) }

// anthropicVerifier checks Anthropic API keys (PROVIDERS.md §9) with one
// read-only call, headers x-api-key and anthropic-version: 2023-06-01,
// base https://api.anthropic.com:
//   - API keys (sk-ant-api03-): GET /v1/models?limit=1; 200 is live, 401
//     and 404 (key disabled or not found) are dead, 400 and anything else
//     unknown;
//   - Admin keys (sk-ant-admin01-): GET /v1/organizations/api_keys?limit=1,
//     which lists key metadata only; 200 is live, 401 dead; a 404 on this
//     path is unknown (it could mean the path, not the key).
//
// The identity is the organization id from the anthropic-organization-id
// response header, when present (UNCONFIRMED that every answer carries
// it).
type anthropicVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*anthropicVerifier)(nil)

func newAnthropic(o *Options) Verifier {
	return &anthropicVerifier{client: o.HTTPClient(), base: o.Endpoint("anthropic", "https://api.anthropic.com")}
}

func (*anthropicVerifier) Provider() string { return "anthropic" }
func (*anthropicVerifier) Rules() []string {
	return []string{"anthropic-api-key", "anthropic-admin-key"}
}

func (v *anthropicVerifier) Verify(ctx context.Context, c Credential) Result {
	admin := c.Rule == "anthropic-admin-key"
	path, what := "/v1/models?limit=1", "Anthropic API key"
	if admin {
		path, what = "/v1/organizations/api_keys?limit=1", "Anthropic admin key"
	}
	resp, fail := Get(ctx, v.client, v.base+path, "x-api-key", c.Secret.Reveal(), "anthropic-version", "2023-06-01")
	if fail != nil {
		return *fail
	}
	var body struct {
		Data  []json.RawMessage `json:"data"`
		Error *struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	jsonErr := json.Unmarshal(resp.Body, &body)
	errType := "no error type"
	if body.Error != nil {
		errType = providerErrorCode(body.Error.Type)
	}
	switch {
	case resp.Status == http.StatusOK:
		if jsonErr != nil || body.Data == nil {
			return Unknown("Anthropic answered 200 without a list")
		}
		if org := providerHeaderValue(resp.Header.Get("anthropic-organization-id")); org != "" {
			what += " of organization " + org
		}
		return Live(what)
	case resp.Status == http.StatusUnauthorized:
		return Dead("Anthropic rejected the key (HTTP 401, " + errType + ")")
	case resp.Status == http.StatusNotFound && !admin:
		return Dead("Anthropic does not know the key or it is disabled (HTTP 404, " + errType + ")")
	}
	return Unknown("unexpected answer (HTTP " + strconv.Itoa(resp.Status) + ", " + errType + ")")
}
