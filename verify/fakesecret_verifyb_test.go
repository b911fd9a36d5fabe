package verify

import "math/rand/v2"

// Alphabets for fake secrets.
const (
	verifyBAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	verifyBHex   = "0123456789abcdef"
	verifyBURL   = verifyBAlnum + "_-"
	verifyBUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	verifyBDigit = "0123456789"
)

// verifyBFake returns n random characters of alphabet: the random body of a
// fake secret, built at test time so no secret-shaped string is written in
// the source.
func verifyBFake(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}
