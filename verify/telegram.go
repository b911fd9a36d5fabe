package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
)

func init() { register("telegram", newTelegram) }

// telegramVerifier asks the Telegram Bot API who a bot token belongs to:
// GET <base>/bot<token>/getMe (PROVIDERS.md has no section on Telegram).
// The Bot API takes the token only in the URL path, so it cannot go in a
// header; Send's reasons never quote URLs, and the Checker scrubs the
// token from reasons anyway.
//
//   - 200 {"ok":true,"result":{"username":…}}: live, "Telegram bot @<username>";
//   - 401 {"ok":false,"error_code":401,…}: dead;
//   - 404 {"ok":false,"error_code":404,…}: dead. UNCONFIRMED: Telegram
//     answers 404 "Not Found" for a token it cannot parse (and, reportedly,
//     for some deleted bots); a 404 without Telegram's JSON is unknown;
//   - anything else: unknown.
type telegramVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*telegramVerifier)(nil)

func newTelegram(o *Options) Verifier {
	return &telegramVerifier{client: o.HTTPClient(), base: o.Endpoint("telegram", "https://api.telegram.org")}
}

func (*telegramVerifier) Provider() string { return "telegram" }
func (*telegramVerifier) Rules() []string  { return []string{"telegram-bot-token"} }

// telegramToken is the shape of a bot token; anything else is not put in
// a URL path.
var telegramToken = regexp.MustCompile(`^[0-9]{6,12}:[A-Za-z0-9_-]{30,60}$`)

func (v *telegramVerifier) Verify(ctx context.Context, c Credential) Result {
	tok := c.Secret.Reveal()
	if !telegramToken.MatchString(tok) {
		return Unknown("not a Telegram bot token")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.base+"/bot"+tok+"/getMe", nil)
	if err != nil {
		return Unknown("building the request failed")
	}
	resp, fail := Send(v.client, req)
	if fail != nil {
		return *fail
	}
	var body struct {
		OK        bool `json:"ok"`
		ErrorCode int  `json:"error_code"`
		Result    struct {
			Username string `json:"username"`
		} `json:"result"`
	}
	jsonErr := json.Unmarshal(resp.Body, &body)
	switch resp.Status {
	case http.StatusOK:
		if jsonErr != nil || !body.OK || body.Result.Username == "" {
			return Unknown("Telegram answered 200 without a bot username")
		}
		return Live("Telegram bot @" + body.Result.Username)
	case http.StatusUnauthorized, http.StatusNotFound:
		if jsonErr == nil && !body.OK && body.ErrorCode == resp.Status {
			return Dead("Telegram rejected the bot token (HTTP " + http.StatusText(resp.Status) + ")")
		}
	}
	return Unexpected(resp)
}
