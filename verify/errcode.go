package verify

import "strings"

// providerErrorCode keeps a provider's error code (Slack's "invalid_auth",
// OpenAI's "invalid_api_key", ...) printable and short for a reason: codes
// are lower-case words joined by underscores; anything else is not quoted,
// so a reason never echoes arbitrary text from an answer.
func providerErrorCode(s string) string {
	if s == "" {
		return "no error code"
	}
	if len(s) > 64 {
		return "an unrecognised error"
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' && (r < '0' || r > '9') {
			return "an unrecognised error"
		}
	}
	return s
}

// providerHeaderValue keeps a response header value fit for an identity (an
// organization id or name): short, printable, one line; else "".
func providerHeaderValue(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 80 {
		return ""
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	return s
}
