package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

func init() { register("google", newGoogle) }

// googleVerifier checks Google API keys (AIza…). PROVIDERS.md §10: a key
// names no principal and there is no universal "whoami"; any probe has to
// call an API, and which API is safe and universal is UNCONFIRMED. This
// verifier calls GET <base>/v1beta/models?pageSize=1 on the Generative
// Language API (base https://generativelanguage.googleapis.com) with the
// key in the x-goog-api-key header (Google APIs accept the header as well
// as ?key=, so the key is never in a URL). Listing models is read-only and
// not billed.
//
// The answer is read from Google's standard error details (a
// google.rpc.ErrorInfo "reason"), not from English messages. The mapping
// is UNCONFIRMED against live keys and pinned by tests:
//   - 200: live, the key may call the Gemini API;
//   - reason API_KEY_INVALID (400: "API key not valid"): dead;
//   - reason API_KEY_EXPIRED: dead;
//   - 403 with reason SERVICE_DISABLED (the key's project has not enabled
//     this API), API_KEY_SERVICE_BLOCKED (the key is restricted to other
//     APIs) or API_KEY_*_BLOCKED (referrer, IP, Android or iOS app
//     restrictions): live, because Google resolved the key to a project
//     before refusing; the identity is that project ("projects/<number>")
//     when the error's metadata names the consumer;
//   - anything else (a location not supported, another reason, no
//     details): unknown.
//
// Google OAuth tokens, OAuth client secrets and service-account keys are
// other rules and are not claimed here.
type googleVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*googleVerifier)(nil)

func newGoogle(o *Options) Verifier {
	return &googleVerifier{client: o.HTTPClient(), base: o.Endpoint("google", "https://generativelanguage.googleapis.com")}
}

func (*googleVerifier) Provider() string { return "google" }
func (*googleVerifier) Rules() []string  { return []string{"gcp-api-key"} }

func (v *googleVerifier) Verify(ctx context.Context, c Credential) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.base+"/v1beta/models?pageSize=1", nil)
	if err != nil {
		return Unknown("building the request failed")
	}
	req.Header.Set("x-goog-api-key", c.Secret.Reveal())
	resp, fail := Send(v.client, req)
	if fail != nil {
		return *fail
	}
	if resp.Status == http.StatusOK {
		var body struct {
			Models []json.RawMessage `json:"models"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.Models == nil {
			return Unknown("Google answered 200 without a model list")
		}
		return Live("Google API key (may call the Generative Language API)")
	}
	reason, consumer := googleErrorInfo(resp.Body)
	project := ""
	if consumer != "" {
		project = " of " + consumer
	}
	switch {
	case reason == "API_KEY_INVALID" || reason == "API_KEY_EXPIRED":
		return Dead("Google rejected the key (" + reason + ")")
	case resp.Status == http.StatusForbidden && reason == "SERVICE_DISABLED":
		return Live("Google API key" + project + " (the Generative Language API is not enabled there)")
	case resp.Status == http.StatusForbidden && strings.HasPrefix(reason, "API_KEY_") && strings.HasSuffix(reason, "_BLOCKED"):
		return Live("Google API key" + project + " (restricted: " + reason + ")")
	case reason != "":
		return Unknown("unexpected answer (HTTP " + strconv.Itoa(resp.Status) + ", " + reason + ")")
	}
	return Unexpected(resp)
}

// googleErrorInfo returns the reason of the first google.rpc.ErrorInfo in a
// Google error body, and the consumer it names when that is a project
// ("projects/<number>"). Both are "" when absent or not code-shaped.
func googleErrorInfo(body []byte) (reason, consumer string) {
	var e struct {
		Error struct {
			Details []struct {
				Type     string            `json:"@type"`
				Reason   string            `json:"reason"`
				Metadata map[string]string `json:"metadata"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	for _, d := range e.Error.Details {
		if d.Type != "type.googleapis.com/google.rpc.ErrorInfo" {
			continue
		}
		if !googleCodeShaped(d.Reason) {
			return "", ""
		}
		c := d.Metadata["consumer"]
		if n, ok := strings.CutPrefix(c, "projects/"); !ok || n == "" || len(n) > 40 || !googleCodeShaped(strings.ToUpper(n)) {
			c = ""
		}
		return d.Reason, c
	}
	return "", ""
}

// googleCodeShaped reports whether s looks like a Google reason code:
// upper-case letters, digits and underscores, at most 64 of them.
func googleCodeShaped(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return true
}
