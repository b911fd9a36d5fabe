package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

func init() { register("twilio", newTwilio) }

// twilioVerifier checks Twilio API keys (PROVIDERS.md §12): the key SID
// (SK…, rule twilio-api-key) paired with its secret (twilio-api-key-secret)
// found near it, in either order. It calls
// GET <base>/2010-04-01/Accounts.json with HTTP Basic SKsid:secret (base
// https://api.twilio.com), which lists the key's account and changes
// nothing; PROVIDERS.md suggests the per-account URL, but that needs the
// account SID, which no rule captures, so the list is used instead
// (UNCONFIRMED that every API key may list its account). 200 with an
// accounts list is live (identity: the account's friendly name and SID);
// 401 is dead; 403 (perhaps a restricted key) and anything else is unknown.
//
// Account auth tokens (twilio-auth-token, twilio-auth-token-with-sid)
// authenticate only together with their account SID (AC…), which the rules
// match around the token but do not capture: it is read from the line the
// token was found on (Credential.Context; the SID written just before the
// token, else the nearest SID on the line), and the token is checked with
// GET <base>/2010-04-01/Accounts/<AccountSid>.json, HTTP Basic SID:token
// (PROVIDERS.md §12, UNCONFIRMED as a verifier; read-only). 200 is live
// (identity: the account's friendly name and status), 401 is dead. With no
// SID on the line the result is unknown without a call.
type twilioVerifier struct {
	client *http.Client
	base   string
}

var (
	_ Verifier   = (*twilioVerifier)(nil)
	_ Paired     = (*twilioVerifier)(nil)
	_ Contextual = (*twilioVerifier)(nil)
)

// twilioSID finds account SIDs on a line.
var twilioSID = regexp.MustCompile(`\bAC[a-f0-9]{32}\b`)

// twilioAccountOf returns the account SID that goes with the auth token in
// c: the last one on the line before the token, else the first after it.
func twilioAccountOf(c Credential) string {
	line, tok := c.Context.Reveal(), c.Secret.Reveal()
	at := strings.Index(line, tok)
	if at < 0 || tok == "" {
		return ""
	}
	sids := twilioSID.FindAllStringIndex(line, -1)
	best := ""
	for _, m := range sids {
		if m[1] <= at {
			best = line[m[0]:m[1]]
		} else if best == "" && m[0] >= at+len(tok) {
			return line[m[0]:m[1]]
		}
	}
	return best
}

// CallKey implements Contextual: an auth token is checked with its
// account SID, so the SID is part of the call.
func (*twilioVerifier) CallKey(c Credential) string {
	if c.Rule == "twilio-auth-token" || c.Rule == "twilio-auth-token-with-sid" {
		return twilioAccountOf(c)
	}
	return ""
}

func newTwilio(o *Options) Verifier {
	return &twilioVerifier{client: o.HTTPClient(), base: o.Endpoint("twilio", "https://api.twilio.com")}
}

func (*twilioVerifier) Provider() string { return "twilio" }
func (*twilioVerifier) Rules() []string {
	return []string{"twilio-api-key", "twilio-api-key-secret", "twilio-auth-token", "twilio-auth-token-with-sid"}
}

func (*twilioVerifier) Companions(rule string) []string {
	switch rule {
	case "twilio-api-key":
		return []string{"twilio-api-key-secret"}
	case "twilio-api-key-secret":
		return []string{"twilio-api-key"}
	}
	return nil
}

func (v *twilioVerifier) Verify(ctx context.Context, c Credential) Result {
	var sid, secret string
	switch {
	case c.Rule == "twilio-auth-token" || c.Rule == "twilio-auth-token-with-sid":
		return v.authToken(ctx, c)
	case c.Companion.IsZero():
		return Unknown("a Twilio API key is checked as a pair (key SID and secret); the other part is missing")
	case c.Rule == "twilio-api-key":
		sid, secret = c.Secret.Reveal(), c.Companion.Reveal()
	default:
		sid, secret = c.Companion.Reveal(), c.Secret.Reveal()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.base+"/2010-04-01/Accounts.json", nil)
	if err != nil {
		return Unknown("building the request: " + err.Error())
	}
	req.SetBasicAuth(sid, secret)
	resp, fail := Send(v.client, req)
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var body struct {
			Accounts []struct {
				SID          string `json:"sid"`
				FriendlyName string `json:"friendly_name"`
			} `json:"accounts"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.Accounts == nil {
			return Unknown("Twilio answered 200 without an accounts list")
		}
		if len(body.Accounts) == 0 {
			return Live("Twilio API key")
		}
		a := body.Accounts[0]
		return Live("Twilio account " + a.FriendlyName + " (" + a.SID + ")")
	case http.StatusUnauthorized:
		return Dead("Twilio rejected the API key SID and secret (HTTP 401)")
	}
	return Unexpected(resp)
}

// authToken checks an account auth token with the account SID on its line.
func (v *twilioVerifier) authToken(ctx context.Context, c Credential) Result {
	sid := twilioAccountOf(c)
	if sid == "" {
		return Unknown("a Twilio auth token is checked with its account SID (AC…), and none is on its line; not checked")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.base+"/2010-04-01/Accounts/"+sid+".json", nil)
	if err != nil {
		return Unknown("building the request: " + err.Error())
	}
	req.SetBasicAuth(sid, c.Secret.Reveal())
	resp, fail := Send(v.client, req)
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var acct struct {
			SID          string `json:"sid"`
			FriendlyName string `json:"friendly_name"`
			Status       string `json:"status"`
		}
		if err := json.Unmarshal(resp.Body, &acct); err != nil || acct.SID == "" {
			return Unknown("Twilio answered 200 without an account")
		}
		return Live("Twilio account " + acct.FriendlyName + " (" + acct.SID + ", " + acct.Status + ")")
	case http.StatusUnauthorized:
		return Dead("Twilio rejected the account SID and auth token (HTTP 401)")
	}
	return Unexpected(resp)
}
