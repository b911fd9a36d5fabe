package verify

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// googleError builds Google's standard error body with one ErrorInfo.
func googleError(code int, status, message, reason, consumer string) string {
	meta := `"service":"generativelanguage.googleapis.com"`
	if consumer != "" {
		meta += `,"consumer":"` + consumer + `"`
	}
	return `{"error":{"code":` + strconv.Itoa(code) + `,"message":"` + message + `","status":"` + status +
		`","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"` + reason + `","domain":"googleapis.com","metadata":{` + meta + `}}]}}`
}

func TestGoogle(t *testing.T) {
	t.Parallel()
	key := "AIza" + verifyBFake(verifyBURL, 35)
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"models":[{"name":"models/gemini-2.0-flash","version":"2.0","displayName":"Gemini 2.0 Flash","inputTokenLimit":1048576,"outputTokenLimit":8192,"supportedGenerationMethods":["generateContent","countTokens"]}],"nextPageToken":"Ch1tb2RlbHM"}`},
			want: leak.Live, identity: "Generative Language"},
		{name: "invalid", reply: answer{status: 400, body: googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID", "")},
			want: leak.Dead, reason: "API_KEY_INVALID"},
		{name: "expired", reply: answer{status: 400, body: googleError(400, "INVALID_ARGUMENT", "API key expired. Please renew the API key.", "API_KEY_EXPIRED", "")},
			want: leak.Dead},
		{name: "service disabled", reply: answer{status: 403, body: googleError(403, "PERMISSION_DENIED", "Generative Language API has not been used in project 123456789012 before or it is disabled.", "SERVICE_DISABLED", "projects/123456789012")},
			want: leak.Live, identity: "Google API key of projects/123456789012 (the Generative Language API is not enabled there)"},
		{name: "restricted to other APIs", reply: answer{status: 403, body: googleError(403, "PERMISSION_DENIED", "Requests to this API generativelanguage.googleapis.com method google.ai.generativelanguage.v1beta.ModelService.ListModels are blocked.", "API_KEY_SERVICE_BLOCKED", "projects/123456789012")},
			want: leak.Live, identity: "API_KEY_SERVICE_BLOCKED"},
		{name: "referrer restricted", reply: answer{status: 403, body: googleError(403, "PERMISSION_DENIED", "Requests from referer <empty> are blocked.", "API_KEY_HTTP_REFERRER_BLOCKED", "projects/123456789012")},
			want: leak.Live, identity: "projects/123456789012"},
		{name: "odd consumer", reply: answer{status: 403, body: googleError(403, "PERMISSION_DENIED", "x", "SERVICE_DISABLED", "projects/<b>x</b>")},
			want: leak.Live},
		{name: "location", reply: answer{status: 400, body: googleError(400, "FAILED_PRECONDITION", "User location is not supported for the API use.", "LOCATION_NOT_SUPPORTED", "")},
			want: leak.Unknown, reason: "LOCATION_NOT_SUPPORTED"},
		{name: "403 without details", reply: answer{status: 403, body: `{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}`},
			want: leak.Unknown, reason: "403"},
		{name: "blocked reason on 400", reply: answer{status: 400, body: googleError(400, "INVALID_ARGUMENT", "x", "API_KEY_SERVICE_BLOCKED", "")},
			want: leak.Unknown},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "malformed error", reply: answer{status: 400, body: `<html>`}, want: leak.Unknown, reason: "400"},
	}, standardFaults...)
	runProviderCases(t, newGoogle, testFinding("gcp-api-key", key), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1beta/models" || r.Header.Get("x-goog-api-key") != key {
			t.Errorf("request %s %s key header set %v", r.Method, r.URL.Path, r.Header.Get("x-goog-api-key") != "")
		}
		if strings.Contains(r.URL.String(), key) || r.URL.Query().Get("key") != "" {
			t.Errorf("the key is in the URL")
		}
	})
}
