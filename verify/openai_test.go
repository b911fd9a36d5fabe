package verify

import (
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func openaiKey(kind string) string {
	return "sk-" + kind + "-" + verifyBFake(verifyBURL, 74) + "T3Blbk" + "FJ" + verifyBFake(verifyBURL, 74)
}

const openaiModels = `{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"}]}`

func TestOpenAI(t *testing.T) {
	t.Parallel()
	key := openaiKey("proj")
	cases := append([]providerCase{
		{name: "live", reply: answer{header: map[string]string{"openai-organization": "acme-research"}, body: openaiModels},
			want: leak.Live, identity: "OpenAI key of organization acme-research"},
		{name: "live without header", reply: answer{body: openaiModels}, want: leak.Live, identity: "OpenAI key"},
		{name: "invalid", reply: answer{status: 401, body: `{"error":{"message":"Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
			want: leak.Dead, reason: "invalid_api_key"},
		{name: "restricted key", reply: answer{status: 403, body: `{"error":{"message":"You have insufficient permissions for this operation. Missing scopes: api.model.read.","type":"invalid_request_error","param":null,"code":null}}`},
			want: leak.Live, identity: "restricted"},
		{name: "country", reply: answer{status: 403, body: `{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}`},
			want: leak.Unknown, reason: "country"},
		{name: "other 403", reply: answer{status: 403, body: `<html>forbidden</html>`}, want: leak.Unknown, reason: "403"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newOpenAI, testFinding("openai-project-key", key), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/models" || r.Header.Get("Authorization") != "Bearer "+key {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
}

// Admin keys list projects (UNCONFIRMED probe).
func TestOpenAIAdmin(t *testing.T) {
	t.Parallel()
	key := openaiKey("admin")
	cases := append([]providerCase{
		{name: "live", reply: answer{header: map[string]string{"openai-organization": "org-abc123"}, body: `{"object":"list","data":[{"id":"proj_abc","object":"organization.project","name":"Default project","created_at":1711471533,"archived_at":null,"status":"active"}],"first_id":"proj_abc","last_id":"proj_abc","has_more":true}`},
			want: leak.Live, identity: "OpenAI admin key of organization org-abc123"},
		{name: "invalid", reply: answer{status: 401, body: `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`}, want: leak.Dead},
		{name: "other 403", reply: answer{status: 403, body: `{"error":{"message":"Forbidden","type":"invalid_request_error","code":null}}`}, want: leak.Unknown},
	}, standardFaults...)
	runProviderCases(t, newOpenAI, testFinding("openai-admin-key", key), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/organization/projects" || r.URL.Query().Get("limit") != "1" || r.Header.Get("Authorization") != "Bearer "+key {
			t.Errorf("request %s %s auth %q", r.Method, r.URL, r.Header.Get("Authorization"))
		}
	})
}
