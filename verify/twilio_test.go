package verify

import (
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func TestTwilioAPIKey(t *testing.T) {
	t.Parallel()
	sid := "SK" + verifyBFake(verifyBHex, 32)
	secret := verifyBFake(verifyBAlnum, 32)
	acct := "AC" + verifyBFake(verifyBHex, 32)
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"accounts":[{"auth_token":"[redacted]","date_created":"Thu, 30 Jul 2015 20:00:00 +0000","friendly_name":"Acme SMS","owner_account_sid":"` + acct + `","sid":"` + acct + `","status":"active","type":"Full","uri":"/2010-04-01/Accounts/` + acct + `.json"}],"end":0,"first_page_uri":"/2010-04-01/Accounts.json?PageSize=50&Page=0","next_page_uri":null,"page":0,"page_size":50,"previous_page_uri":null,"start":0,"uri":"/2010-04-01/Accounts.json?PageSize=50&Page=0"}`},
			want: leak.Live, identity: "Twilio account Acme SMS (" + acct + ")"},
		{name: "invalid", reply: answer{status: 401, body: `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`}, want: leak.Dead},
		{name: "forbidden", reply: answer{status: 403, body: `{"code":20403,"message":"Forbidden","status":403}`}, want: leak.Unknown, reason: "403"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
	}, standardFaults...)
	check := func(t *testing.T, r *http.Request, _ string) {
		user, pass, ok := r.BasicAuth()
		if r.Method != http.MethodGet || r.URL.Path != "/2010-04-01/Accounts.json" || !ok || user != sid || pass != secret {
			t.Errorf("request %s %s basic auth ok %v", r.Method, r.URL.Path, ok)
		}
	}
	// The key SID as the finding, the secret as its companion, and the other
	// way round: the request is the same.
	t.Run("sid first", func(t *testing.T) {
		t.Parallel()
		runProviderCases(t, newTwilio, testFinding("twilio-api-key", sid),
			[]leak.Finding{testFinding("twilio-api-key-secret", secret)}, cases, check)
	})
	t.Run("secret first", func(t *testing.T) {
		t.Parallel()
		runProviderCases(t, newTwilio, testFinding("twilio-api-key-secret", secret),
			[]leak.Finding{testFinding("twilio-api-key", sid)}, cases, check)
	})
}

// Auth tokens without an account SID on their line and lone API key parts
// are unknown, and nothing is sent.
func TestTwilioNotSent(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{body: `{"accounts":[]}`} })
	v := newTwilio((&Options{}).withFake(fake.URL))
	for _, c := range []Credential{
		{Rule: "twilio-auth-token", Secret: leak.NewSecret(verifyBFake(verifyBHex, 32))},
		{Rule: "twilio-auth-token-with-sid", Secret: leak.NewSecret(verifyBFake(verifyBHex, 32))},
		{Rule: "twilio-api-key", Secret: leak.NewSecret("SK" + verifyBFake(verifyBHex, 32))},
	} {
		if res := v.Verify(t.Context(), c); res.Status != leak.Unknown || res.Reason == "" {
			t.Errorf("%s: %s (%s), want unknown with a reason", c.Rule, res.Status, res.Reason)
		}
	}
	if len(fake.requests) != 0 {
		t.Errorf("%d requests sent", len(fake.requests))
	}
	// Through the Checker, a lone key SID says which part is missing.
	f := []leak.Finding{testFinding("twilio-api-key", "SK"+verifyBFake(verifyBHex, 32))}
	(&Checker{Registry: NewRegistryOf(v)}).Verify(t.Context(), f)
	if f[0].Status != leak.Unknown || f[0].StatusReason == "" {
		t.Errorf("lone key SID: %s (%s)", f[0].Status, f[0].StatusReason)
	}
}

// An auth token is checked with the account SID written on its line.
func TestTwilioAuthToken(t *testing.T) {
	t.Parallel()
	sid := "AC" + verifyBFake(verifyBHex, 32)
	tok := verifyBFake(verifyBHex, 32)
	line := `client = Client("` + sid + `", "` + tok + `")`
	f := testFinding("twilio-auth-token-with-sid", tok)
	f.Context = leak.NewSecret(line)
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"sid":"` + sid + `","friendly_name":"Prod","status":"active"}`}, want: leak.Live, identity: "Twilio account Prod (" + sid + ", active)"},
		{name: "dead", reply: answer{status: 401, body: `{"code":20003,"message":"Authenticate","status":401}`}, want: leak.Dead},
		{name: "malformed", reply: answer{body: `[]`}, want: leak.Unknown},
		{name: "forbidden", reply: answer{status: 403, body: `{}`}, want: leak.Unknown, reason: "403"},
	}, standardFaults...)
	runProviderCases(t, newTwilio, f, nil, cases, func(t *testing.T, r *http.Request, _ string) {
		user, pass, ok := r.BasicAuth()
		if r.Method != http.MethodGet || r.URL.Path != "/2010-04-01/Accounts/"+sid+".json" || !ok || user != sid || pass != tok {
			t.Errorf("request %s %s, basic auth %v", r.Method, r.URL.Path, ok)
		}
	})
	// The SID before the token wins over one after it; one after it is used
	// when there is none before.
	other := "AC" + verifyBFake(verifyBHex, 32)
	for line, want := range map[string]string{
		sid + ":" + tok + " backup " + other: sid,
		"TOKEN=" + tok + " SID=" + other:     other,
		"TOKEN=" + tok:                       "",
	} {
		c := Credential{Rule: "twilio-auth-token", Secret: leak.NewSecret(tok), Context: leak.NewSecret(line)}
		if got := twilioAccountOf(c); got != want {
			t.Errorf("twilioAccountOf(%q) = %q, want %q", line, got, want)
		}
	}
}
