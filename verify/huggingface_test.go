package verify

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// hfFakeToken builds a random token of the shape the rules find: prefix +
// 34 letters.
func hfFakeToken(prefix string) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	b.WriteString(prefix)
	for range 34 {
		b.WriteByte(letters[rand.IntN(len(letters))])
	}
	return b.String()
}

func TestHuggingFace(t *testing.T) {
	t.Parallel()
	tok := hfFakeToken("hf_")
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"type":"user","id":"6512e1f0c2a1b3d4e5f60718","name":"alice","fullname":"Alice A","email":"alice@example.com","emailVerified":true,"isPro":false,"orgs":[{"type":"org","name":"acme"}],"auth":{"type":"access_token","accessToken":{"displayName":"ci","role":"read","createdAt":"2024-05-01T10:00:00.000Z"}}}`},
			want: leak.Live, identity: "Hugging Face user alice (token role read)"},
		{name: "live fine-grained", reply: answer{body: `{"type":"user","name":"bob","auth":{"type":"access_token","accessToken":{"displayName":"x","role":"fineGrained"}}}`},
			want: leak.Live, identity: "Hugging Face user bob (token role fineGrained)"},
		{name: "live without auth block", reply: answer{body: `{"type":"user","name":"carol"}`}, want: leak.Live, identity: "Hugging Face user carol"},
		{name: "revoked", reply: answer{status: 401, body: `{"error":"Invalid credentials in Authorization header"}`}, want: leak.Dead},
		{name: "forbidden is not dead", reply: answer{status: 403, body: `{"error":"forbidden"}`}, want: leak.Unknown, reason: "403"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "no name", reply: answer{body: `{"type":"user"}`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newHuggingFace, testFinding("huggingface-access-token", tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/whoami-v2" || r.Header.Get("Authorization") != "Bearer "+tok {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
}

// TestHuggingFaceOrgToken covers the UNCONFIRMED organization answer.
func TestHuggingFaceOrgToken(t *testing.T) {
	t.Parallel()
	tok := hfFakeToken("api_org_")
	cases := []providerCase{
		{name: "org", reply: answer{body: `{"type":"org","name":"acme","auth":{"type":"access_token","accessToken":{"role":"write"}}}`},
			want: leak.Live, identity: "Hugging Face organization acme (token role write)"},
		{name: "revoked", reply: answer{status: 401, body: `{"error":"Invalid credentials in Authorization header"}`}, want: leak.Dead},
	}
	runProviderCases(t, newHuggingFace, testFinding("huggingface-organization-token", tok), nil, cases, nil)
}

func TestHuggingFaceEndpointEnv(t *testing.T) {
	t.Parallel()
	o := &Options{Getenv: func(k string) string {
		if k == "HF_ENDPOINT" {
			return "https://hub.internal.example/"
		}
		return ""
	}}
	if got := newHuggingFace(o).(*huggingFaceVerifier).base; got != "https://hub.internal.example" {
		t.Errorf("base %q", got)
	}
	if got := newHuggingFace(&Options{}).(*huggingFaceVerifier).base; got != "https://huggingface.co" {
		t.Errorf("default base %q", got)
	}
}
