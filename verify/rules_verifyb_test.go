package verify

import (
	"testing"

	"github.com/leakgate/leakgate/rules"
)

// The rule ids the verify-b verifiers claim, and their companions, are
// rules of the default set: a renamed rule would otherwise silently stay
// unchecked.
func TestVerifyBRulesExist(t *testing.T) {
	t.Parallel()
	set := rules.Default()
	o := &Options{}
	for _, build := range []Constructor{newSlack, newStripe, newOpenAI, newAnthropic, newGoogle, newSendGrid, newTwilio, newMailgun} {
		v := build(o)
		for _, id := range v.Rules() {
			if set.Lookup(id) == nil {
				t.Errorf("%s claims rule %q, which the default set does not have", v.Provider(), id)
			}
			for _, c := range companionsOf(v, id) {
				if set.Lookup(c) == nil {
					t.Errorf("%s pairs %q with rule %q, which the default set does not have", v.Provider(), id, c)
				}
			}
		}
	}
}
