package verify

import (
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func anthropicKey(kind string) string {
	return "sk-ant-" + kind + "-" + verifyBFake(verifyBURL, 93) + "AA"
}

func anthropicCheck(path, key string) func(t *testing.T, r *http.Request, _ string) {
	return func(t *testing.T, r *http.Request, _ string) {
		t.Helper()
		if r.Method != http.MethodGet || r.URL.Path != path || r.URL.Query().Get("limit") != "1" ||
			r.Header.Get("x-api-key") != key || r.Header.Get("anthropic-version") != "2023-06-01" || r.Header.Get("Authorization") != "" {
			t.Errorf("request %s %s version %q", r.Method, r.URL, r.Header.Get("anthropic-version"))
		}
	}
}

func TestAnthropic(t *testing.T) {
	t.Parallel()
	key := anthropicKey("api03")
	cases := append([]providerCase{
		{name: "live", reply: answer{header: map[string]string{"anthropic-organization-id": "6c1f1a3e-7a2b-4d3c-9e8f-0a1b2c3d4e5f"},
			body: `{"data":[{"created_at":"2025-02-19T00:00:00Z","display_name":"Claude 3.7 Sonnet","id":"claude-3-7-sonnet-20250219","type":"model"}],"first_id":"claude-3-7-sonnet-20250219","has_more":true,"last_id":"claude-3-7-sonnet-20250219"}`},
			want: leak.Live, identity: "Anthropic API key of organization 6c1f1a3e-7a2b-4d3c-9e8f-0a1b2c3d4e5f"},
		{name: "invalid", reply: answer{status: 401, body: `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`}, want: leak.Dead, reason: "authentication_error"},
		{name: "disabled", reply: answer{status: 404, body: `{"type":"error","error":{"type":"not_found_error","message":"Not found"}}`}, want: leak.Dead},
		{name: "bad request", reply: answer{status: 400, body: `{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}`}, want: leak.Unknown, reason: "invalid_request_error"},
		{name: "forbidden", reply: answer{status: 403, body: `{"type":"error","error":{"type":"permission_error","message":"no"}}`}, want: leak.Unknown, reason: "HTTP 403, permission_error"},
		{name: "overloaded", reply: answer{status: 529, body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}, want: leak.Unknown, reason: "529"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
	}, standardFaults...)
	runProviderCases(t, newAnthropic, testFinding("anthropic-api-key", key), nil, cases, anthropicCheck("/v1/models", key))
}

func TestAnthropicAdmin(t *testing.T) {
	t.Parallel()
	key := anthropicKey("admin01")
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"data":[{"id":"apikey_01Rj2N8SVvo6BePZj99NhmiT","type":"api_key","name":"Developer Key","partial_key_hint":"sk-ant-api03-R2D...igAA","status":"active","workspace_id":null,"created_at":"2024-10-30T23:58:27.427722Z","created_by":{"id":"user_01WCz1FkmYMm4gnmykNKUu3Q","type":"user"}}],"has_more":true,"first_id":"apikey_01Rj2N8SVvo6BePZj99NhmiT","last_id":"apikey_01Rj2N8SVvo6BePZj99NhmiT"}`},
			want: leak.Live, identity: "Anthropic admin key"},
		{name: "invalid", reply: answer{status: 401, body: `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`}, want: leak.Dead},
		{name: "not found", reply: answer{status: 404, body: `{"type":"error","error":{"type":"not_found_error","message":"Not found"}}`}, want: leak.Unknown},
	}, standardFaults...)
	runProviderCases(t, newAnthropic, testFinding("anthropic-admin-key", key), nil, cases, anthropicCheck("/v1/organizations/api_keys", key))
}
