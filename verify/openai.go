package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

func init() { register("openai", newOpenAI) }

// openaiVerifier checks OpenAI API keys (PROVIDERS.md §8) with one
// read-only call, Authorization: Bearer, base https://api.openai.com:
//   - project, service-account and legacy user keys: GET /v1/models;
//   - admin keys (sk-admin-), which only work on the organization
//     endpoints: GET /v1/organization/projects?limit=1 (UNCONFIRMED that
//     every admin key may list projects; a refusal other than 401 is
//     unknown, never dead).
//
// 200 is live; the identity is the organization the
// openai-organization response header names, when present. 401 is dead
// (code invalid_api_key for an unknown or revoked key; the exact body is
// UNCONFIRMED, so any 401 counts). 403 is live only when OpenAI says the
// key lacks a permission ("insufficient permissions" / "Missing scopes":
// a restricted project key; UNCONFIRMED wording); a 403 for an unsupported
// country, region or territory, and any other answer, is unknown.
type openaiVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*openaiVerifier)(nil)

func newOpenAI(o *Options) Verifier {
	return &openaiVerifier{client: o.HTTPClient(), base: o.Endpoint("openai", "https://api.openai.com")}
}

func (*openaiVerifier) Provider() string { return "openai" }
func (*openaiVerifier) Rules() []string {
	return []string{"openai-project-key", "openai-service-account-key", "openai-admin-key", "openai-api-key"}
}

func (v *openaiVerifier) Verify(ctx context.Context, c Credential) Result {
	path := "/v1/models"
	if c.Rule == "openai-admin-key" {
		path = "/v1/organization/projects?limit=1"
	}
	resp, fail := Get(ctx, v.client, v.base+path, "Authorization", "Bearer "+c.Secret.Reveal())
	if fail != nil {
		return *fail
	}
	var body struct {
		Object string `json:"object"`
		Error  *struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    string `json:"code"`
		} `json:"error"`
	}
	jsonErr := json.Unmarshal(resp.Body, &body)
	code := ""
	if body.Error != nil {
		code = providerErrorCode(body.Error.Code)
	}
	switch resp.Status {
	case http.StatusOK:
		if jsonErr != nil || body.Object != "list" {
			return Unknown("OpenAI answered 200 without a list")
		}
		id := "OpenAI key"
		if c.Rule == "openai-admin-key" {
			id = "OpenAI admin key"
		}
		if org := providerHeaderValue(resp.Header.Get("openai-organization")); org != "" {
			id += " of organization " + org
		}
		return Live(id)
	case http.StatusUnauthorized:
		return Dead("OpenAI rejected the key (HTTP 401, " + code + ")")
	case http.StatusForbidden:
		if body.Error != nil {
			msg := strings.ToLower(body.Error.Message)
			if code == "unsupported_country_region_territory" {
				return Unknown("OpenAI refuses requests from this country, region or territory")
			}
			if strings.Contains(msg, "insufficient permissions") || strings.Contains(msg, "missing scopes") {
				return Live("OpenAI key with restricted permissions (may not list models)")
			}
		}
		return Unknown("OpenAI refused the request (HTTP 403, " + code + ")")
	}
	return Unexpected(resp)
}
