package detect

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Code, words and test data are weak values for generic rules.
func TestIsWeakValue(t *testing.T) {
	t.Parallel()
	weak := []string{
		"RootManageSharedAccessKey", "t.headers.Authorization", "settings.SECRET_KEY", "ACCESS_TOKEN_COOKIE",
		"my-app-secret-volume", "PBKDF2WithHmacSHA256", "passwordResetEmailTemplateV2",
		"orders/v2/secret-key-derivation", "TokenObtainPairWithClaimsSerializer", "certs/server.key",
		"test-secret-not-for-production", "my_local_dev_token_2024", "sample-token-alice", "Password123",
		"pk_live_51Hc1WllKeGPBkiqcgz1Fc1Djys", "phc_NKpo2pNk6YfmpusxEitLJfYTknWVNucqiBzDeo9ZtjO",
		"1234567890123456", "word_tokenizer_v2_standard", "this.options.accessKeyId",
	}
	for _, v := range weak {
		if !IsWeakValue(v) {
			t.Errorf("IsWeakValue(%q) = false, want true", v)
		}
	}
	strong := []string{
		"Nq2LpV6tXk4Wm9YbC3hD", "5a08f6326434f2a5add3a05a296af60f", "8detjudk63piqbtz8li5",
		"9OIROXMTGFHMB939LJ20FBJ2OEOIKY26VMAR", "sk-ant-admin01-Pu0FNEDYFj7hh5u4kuYIgQ9poZrJ3k8sNwk",
		"dp.st.prd.Xk9devQm2Lp7Rt4zXk9devQm2Lp7Rt4z1234567", "ffd37075-deb4-45bd-aca2-3af45a67b942",
		"46PKJklDUprQ2ClrqipyeWBC17L6PZkj", "Tr0ub4dor&3xK9q",
	}
	for _, v := range strong {
		if IsWeakValue(v) {
			t.Errorf("IsWeakValue(%q) = true, want false", v)
		}
	}
}

// Random tokens of the usual alphabets are almost never taken for code or
// test data, even when they happen to contain a weak word.
func TestIsWeakValueRandom(t *testing.T) {
	t.Parallel()
	alphabets := map[string]string{
		"base62":        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		"hex":           "0123456789abcdef",
		"lower-alnum":   "abcdefghijklmnopqrstuvwxyz0123456789",
		"upper-alnum":   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
		"base64url":     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		"base32-secret": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, abc := range alphabets {
		for _, n := range []int{16, 20, 24, 32, 40, 64} {
			const tries = 2000
			weak := 0
			for range tries {
				b := make([]byte, n)
				for i := range b {
					b[i] = abc[rng.IntN(len(abc))]
				}
				if IsWeakValue(string(b)) {
					weak++
				}
			}
			if weak*100 > tries { // 1%
				t.Errorf("%s, %d characters: %d of %d random values are weak", name, n, weak, tries)
			}
		}
	}
}

func TestLooksRandom(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"notforproduction":       false,
		"mysuperforlocaldev2024": false,
		"Xk9Qm2Lp7Rt4zWb8":       true,
		"e50055ff95b53431e9b4":   true,
	} {
		if got := looksRandom([]byte(v)); got != want {
			t.Errorf("looksRandom(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestIsWeakValueNonASCII: values whose lower case has another length
// (invalid UTF-8, the Kelvin sign) used to make IsWeakValue index out of
// range.
func TestIsWeakValueNonASCII(t *testing.T) {
	for _, v := range []string{"Xk9\xffqT7mZp2Lw8Rvtoken", "\u212aey-test-value", "\xe2\x84test_secret_1"} {
		IsWeakValue(v) // no panic
	}
	if !IsWeakValue("my-test-secret\xff") {
		t.Errorf("a weak value with an invalid byte is not weak")
	}
}

// Constants, timestamps and domain-qualified names are code to generic
// rules; random tokens of the same alphabets are not.
func TestLooksLikeCodeNames(t *testing.T) {
	t.Parallel()
	code := []string{
		"POSTGRES_MD5", "POSTGRES_SCRAM_SHA_256", "KAFKA_SASL_GSSAPI_KRB5_CONF",
		"2016-11-06T15:32:17.000000", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+01:00",
		"flowcontrol.k8s.io/v1beta3-preserve-zero-concurrency-shares", "client.authentication.k8s.io/exec",
		"error_description=",
	}
	for _, v := range code {
		if !LooksLikeCode(v) || !IsWeakValue(v) {
			t.Errorf("LooksLikeCode(%q) = false, want true", v)
		}
	}
	notCode := []string{
		"JBSWY3DPEHPK3PXPJBSWY3DP", "AKIA_QX7Z_KRWM_P9TD", "XQZT_9KMR_7PLW", "A7K_QZ9_XW2",
		"2016-11-06T15:32:17.000000x", "acme.io/Xk9Qm2Lp7Rt4zWb8", "nq2lpv6txk4wm9ybc3hd/x",
		"Nq2LpV6tXk4Wm9YbC3hD=",
	}
	for _, v := range notCode {
		if LooksLikeCode(v) {
			t.Errorf("LooksLikeCode(%q) = true, want false", v)
		}
	}
}

// Counting sequences are placeholders in every rule.
func TestIsPlaceholderSequence(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"A1B2C3D4E5F6G7H8I9J0", "abcd1234efgh", "0123456789ab", "ABCDEFGHIJKL"} {
		if !IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = false, want true", v)
		}
	}
	for _, v := range []string{"A1B2C3D4E5F6G7H8I9K0", "abcd1235efgh", "A1B2C3", "Abcd1234", "Abcde12345", "Nq2LpV6tXk4Wm9YbC3hD", "abc-1234-efgh"} {
		if IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = true, want false", v)
		}
	}
}

// Command substitution, printf verbs and kubectl JSONPath are references
// to values kept elsewhere; a % that is not a verb is not.
func TestIsReferenceTemplates(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"static/$(dirname", "$(cat /run/secrets/db)", "linux/$(go", "x$(pwd)y", "SESSION_SECRET_OF_%s", "key-%d-x", "%v", "a/%s/b", "{.users[0].user.password}"} {
		if !IsReference(v) {
			t.Errorf("IsReference(%q) = false, want true", v)
		}
	}
	for _, v := range []string{"Nq2%LpV6tXk4Wm9", "100%%sure-Xk9Qm2", "Xk9Qm2Lp7%", "Hq7%sTz!2mLp", "Xk9%sLm2Qp7w", "p%d0%bf%d1", "Qz7$(k2Lp9W", "a{.b"} {
		if IsReference(v) {
			t.Errorf("IsReference(%q) = true, want false", v)
		}
	}
}

// The Basic credentials of RFC 7617's example and RFC 6455's WebSocket key
// are documented examples.
func TestIsExampleKeyBasicAuth(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "YWxhZGRpbjpvcGVuc2VzYW1l", "dGhlIHNhbXBsZSBub25jZQ=="} {
		if !IsExampleKey(v) {
			t.Errorf("IsExampleKey(%q) = false", v)
		}
	}
}

// Labels in other languages and zeroed-out keys are weak values for
// generic rules; Latin-script random tokens are not.
func TestIsWeakValueTextAndRuns(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"Wachtwoord", "Lykilorð", "SMTPパスワード", "帳號或密碼不正確", "最低1文字の小文字", "Συνθηματικό", "AAAAAAAAAAAAAAAAAAAA/20230719/us-east-1/sts"} {
		if !IsWeakValue(v) {
			t.Errorf("IsWeakValue(%q) = false, want true", v)
		}
	}
	for _, v := range []string{"Nq2LpV6tXk4Wm9YbC3hDé", "Zx9кQm2Lp7Wt", "Пароль2024Зима", "AAAAAAAAAAAQx9Lm2Vb7", "Tr0ub4dor&3xK9q"} {
		if IsWeakValue(v) {
			t.Errorf("IsWeakValue(%q) = true, want false", v)
		}
	}
}

// The example tokens of Docker's Engine API reference are documented
// examples.
func TestIsExampleKeyDocker(t *testing.T) {
	t.Parallel()
	for _, v := range []string{
		"SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx",
		"SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8",
	} {
		if !IsExampleKey(v) {
			t.Errorf("IsExampleKey(%q) = false", v)
		}
	}
}

// A generic rule's unquoted value before a comma or a parenthesis is a
// variable when it is made of words; a random one, or a quoted one, is a
// value.
func TestIsVariable(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]string{
		{"v4aCredentialProvider", "Credentials: v4aCredentialProvider,"},
		{"OAuth2Credentials", `Credentials", OAuth2Credentials)`},
		{"ErrLifetimeWatcherNoSecretData", "SecretData: ErrLifetimeWatcherNoSecretData,"},
	} {
		if !isVariable(c[1], strings.LastIndex(c[1], c[0]), len(c[0])) {
			t.Errorf("isVariable(%q in %q) = false", c[0], c[1])
		}
	}
	for _, c := range [][2]string{
		{"Zr8Nq2LpV6tXk4Wm9YbC3hDs", "api_key=Zr8Nq2LpV6tXk4Wm9YbC3hDs)"},
		{"Zr8Nq2LpV6tXk4Wm9YbC3hDs", "secretKey=Zr8Nq2LpV6tXk4Wm9YbC3hDs,"},
		{"v4aCredentialProvider", `Credentials: "v4aCredentialProvider",`},
		{"v4aCredentialProvider", "Credentials: v4aCredentialProvider\n"},
		{"a9f3e1c2b4d5e6f7a8b9c0d1", "licenseKey: a9f3e1c2b4d5e6f7a8b9c0d1,"},
	} {
		if isVariable(c[1], strings.LastIndex(c[1], c[0]), len(c[0])) {
			t.Errorf("isVariable(%q in %q) = true", c[0], c[1])
		}
	}
}

// isCamelWords takes random tokens of the usual alphabets for words
// rarely: fewer than 1 in 300 at 16 bytes, none in lower case or hex.
func TestIsCamelWordsRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		abc  string
		n    int
		most int // per 100,000
	}{
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 16, 300},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24, 100},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 20, 150},
		{"abcdefghijklmnopqrstuvwxyz0123456789", 20, 0},
		{"0123456789abcdef", 32, 0},
	} {
		hits := 0
		for range 100000 {
			b := make([]byte, c.n)
			for i := range b {
				b[i] = c.abc[rng.IntN(len(c.abc))]
			}
			if isCamelWords(string(b)) {
				hits++
			}
		}
		if hits > c.most {
			t.Errorf("%d random %d-byte values of %q taken for words, want at most %d", hits, c.n, c.abc, c.most)
		}
	}
}

// A value that is the name of something before it on its line (an enum
// constant, a snapshot placeholder) is not a secret; a secret that merely
// resembles a name on its line (written twice, made from a user name,
// another case or encoding of an id) still is.
func TestSpellsName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		before, key, value string
		want               bool
	}{
		{"\tpasswordAuthenticationSCRAMSHA256 ", `passwordAuthentication = "`, "scram-sha-256", true},
		{"\tPreviewEPSBankBrullKallmusBankAg ", `TokenPaymentMethodPreviewEPSBank = "`, "brull_kallmus_bank_ag", true},
		{"<ServiceName>x</ServiceName>", "<ServiceSpecificCredentialId>", "__ServiceSpecificCredentialId__", true},
		{"", `ClientSecretKindAccessCode = "`, "access-code", true},
		// Not the shape of a name: secrets, whatever the line holds.
		{`curl -H "X-Id: Zr8Nq2LpV6tXk4Wm9YbC3hDs" -d `, `token=`, "Zr8Nq2LpV6tXk4Wm9YbC3hDs", false},
		{`session_Zr8Nq2LpV6tXk4Wm9YbC3hDs `, `token=`, "Zr8Nq2LpV6tXk4Wm9YbC3hDs", false},
		{`curl -H "X-Id: k5auUfiYwLx62hwAABPJ7tgB6HBUzJMOdhqMWii9ndw=" -d "`, `token=`, "k5auUfiYwLx62hwAABPJ7tgB6HBUzJMOdhqMWii9ndw=", false},
		{`export CACHE_TAG=TOKEN_A22FAC180D6B2E6E1B465E551305FD2D2490CA4C `, `API_TOKEN=`, "a22fac180d6b2e6e1b465e551305fd2d2490ca4c", false},
		{`export DEVICE_ID=616e8c4bf1444d33a34955d46af783b5 `, `DEVICE_API_KEY=`, "616e8c4b-f144-4d33-a349-55d46af783b5", false},
		{`ftp_user=acme_Wq7Zk2 `, `ftp_password="`, "Acme_Wq7Zk2#", false},
		{`  DB_HOST: orders2024.db.internal   # `, `DB_PASSWORD: "`, "Orders2024!", false},
		{`  # пароль: парольKx92Lm7Qz, `, `password = "`, "парольKx92Lm7Qz", false},
		{"", `API_TOKEN = "`, "Zr8Nq2LpV6tXk4Wm9YbC3hDs", false},
		{"", `token_abc = "`, "abc123xyz789", false},
		{"", `scram_sha_256 = "`, "scram-sha-256", false},       // not a longer name
		{"", `SCRAMSHA256Password = "`, "scram-sha-256", false}, // not at its end
		{"", `key = "`, "ab-cd", false},                            // too short
		{"", `KeyZr8Nq2LpV6tXk4 = "`, "__Zr8Nq2LpV6tXk4__", false}, // not words
	} {
		if got := spellsName([]byte(c.before), c.key, c.value); got != c.want {
			t.Errorf("spellsName(%q, %q, %q) = %v, want %v", c.before, c.key, c.value, got, c.want)
		}
	}
}
